using System.Net;
using System.Text;
using System.Xml.Linq;
using Microsoft.Extensions.Logging.Abstractions;
using Migration.VmaAgent.VSphere;

namespace Migration.Tests.VSphere;

/// <summary>The client against fault bodies in vCenter's wire shape (the first two as the simulator sends them).</summary>
public sealed class VimFaultTests
{
    private static readonly MoRef Vm = new("VirtualMachine", "vm-57");

    [Theory]
    [InlineData("NotAuthenticated", typeof(NotAuthenticatedException))]
    [InlineData("ManagedObjectNotFound", typeof(ManagedObjectNotFoundException))]
    [InlineData("InvalidState", typeof(InvalidStateException))]
    [InlineData("TaskInProgress", typeof(TaskInProgressException))]
    [InlineData("FileFault", typeof(FileFaultException))]
    [InlineData("InvalidArgument", typeof(InvalidArgumentException))]
    [InlineData("InvalidLogin", typeof(InvalidLoginException))]
    [InlineData("NoPermission", typeof(VimFaultException))]
    public void Each_fault_body_becomes_its_typed_error_naming_the_call_and_the_object(string fault, Type expected)
    {
        var error = VimXml.FaultOf(Recorded(fault), "CreateSnapshot_Task", Vm);

        Assert.NotNull(error);
        Assert.Equal(expected, error.GetType());
        Assert.Equal(fault, error.FaultType);
        Assert.Contains("CreateSnapshot_Task", error.Message, StringComparison.Ordinal);
        Assert.Contains("vm-57", error.Message, StringComparison.Ordinal);
        Assert.Contains(fault, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cbt_file_fault_keeps_its_message_key_and_an_invalid_argument_its_property()
    {
        var file = VimXml.FaultOf(Recorded("FileFault"), "QueryChangedDiskAreas", Vm)!;
        Assert.Equal("vim.hostd.vmsvc.cbt.noEpoch", file.Detail.FaultMessageKey);
        Assert.EndsWith("app01.vmdk", file.Detail.File, StringComparison.Ordinal);

        var argument = VimXml.FaultOf(Recorded("InvalidArgument"), "QueryChangedDiskAreas", Vm)!;
        Assert.Equal("changeId", argument.Detail.InvalidProperty);
    }

    [Fact]
    public async Task NotAuthenticated_logs_in_again_and_retries_the_call_once()
    {
        var handler = new ScriptedVCenter(failuresBeforeSuccess: 1);
        await using var client = Client(handler);

        var response = await client.InvokeAsync("RetrievePropertiesEx", Vm, [], CancellationToken.None);

        Assert.Equal("RetrievePropertiesExResponse", response.Name.LocalName);
        Assert.Equal(["RetrieveServiceContent", "Login", "RetrievePropertiesEx", "RetrieveServiceContent", "Login", "RetrievePropertiesEx"], handler.Calls);
    }

    [Fact]
    public async Task A_second_NotAuthenticated_in_a_row_is_an_error_not_a_loop_and_never_shows_the_password()
    {
        var handler = new ScriptedVCenter(failuresBeforeSuccess: 2);
        await using var client = Client(handler);

        var error = await Assert.ThrowsAsync<NotAuthenticatedException>(() => client.InvokeAsync("RetrievePropertiesEx", Vm, [], CancellationToken.None));

        Assert.Equal(6, handler.Calls.Count);
        Assert.DoesNotContain("s3cret-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_InvalidLogin_without_the_password_in_the_message()
    {
        var handler = new ScriptedVCenter(failuresBeforeSuccess: 0) { RejectLogin = true };
        await using var client = Client(handler);

        var error = await Assert.ThrowsAsync<InvalidLoginException>(() => client.InvokeAsync("RetrievePropertiesEx", Vm, [], CancellationToken.None));

        Assert.Contains("Login", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-password", error.Message, StringComparison.Ordinal);
    }

    private static VimClient Client(HttpMessageHandler handler) =>
        new(handler, new Uri("https://vcenter.test/sdk"), "migration@vsphere.local", () => "s3cret-password", TimeSpan.FromSeconds(5), NullLogger.Instance);

    internal static XDocument Recorded(string fault) => XDocument.Load(Path.Combine(AppContext.BaseDirectory, "Recorded", fault + ".xml"));

    /// <summary>Answers like vCenter: service content, login, then NotAuthenticated for the first N other calls.</summary>
    private sealed class ScriptedVCenter(int failuresBeforeSuccess) : HttpMessageHandler
    {
        private int _failures = failuresBeforeSuccess;

        public List<string> Calls { get; } = [];

        public bool RejectLogin { get; init; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = XDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
            var method = body.Root!.Element(VimXml.Soap + "Body")!.Elements().First().Name.LocalName;
            Calls.Add(method);
            return method switch
            {
                "RetrieveServiceContent" => Ok(method, """
                    <returnval><rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>
                    <viewManager type="ViewManager">ViewManager</viewManager><searchIndex type="SearchIndex">SearchIndex</searchIndex>
                    <sessionManager type="SessionManager">SessionManager</sessionManager><about><apiVersion>8.0.3.0</apiVersion></about></returnval>
                    """),
                "Login" when RejectLogin => Fault("InvalidLogin"),
                "Login" => Ok(method, "<returnval><key>52a1</key><userName>migration@vsphere.local</userName></returnval>"),
                _ when _failures-- > 0 => Fault("NotAuthenticated"),
                _ => Ok(method, ""),
            };
        }

        private static HttpResponseMessage Ok(string method, string inner) => new(HttpStatusCode.OK)
        {
            Content = new StringContent(
                $"""<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><{method}Response xmlns="urn:vim25">{inner}</{method}Response></soapenv:Body></soapenv:Envelope>""",
                Encoding.UTF8, "text/xml"),
        };

        private static HttpResponseMessage Fault(string fault) => new(HttpStatusCode.InternalServerError)
        {
            Content = new StringContent(Recorded(fault).ToString(), Encoding.UTF8, "text/xml"),
        };
    }
}
