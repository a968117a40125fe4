using System.Globalization;
using System.Xml.Linq;

namespace Migration.VmaAgent.VSphere;

/// <summary>The vim25 SOAP wire format: request envelopes, and reading answers and faults.</summary>
public static class VimXml
{
    public static readonly XNamespace Soap = "http://schemas.xmlsoap.org/soap/envelope/";
    public static readonly XNamespace Vim = "urn:vim25";
    public static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    public static string Envelope(string method, MoRef target, IEnumerable<XElement> arguments) =>
        new XDocument(
            new XElement(Soap + "Envelope",
                new XAttribute(XNamespace.Xmlns + "soapenv", Soap),
                new XAttribute(XNamespace.Xmlns + "xsi", Xsi),
                new XElement(Soap + "Body",
                    new XElement(Vim + method, [Ref("_this", target), .. arguments])))).ToString(SaveOptions.DisableFormatting);

    public static XElement Ref(string name, MoRef value) => new(Vim + name, new XAttribute("type", value.Type), value.Value);

    public static XElement Arg(string name, object value) => new(Vim + name, value switch
    {
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        _ => value,
    });

    /// <summary>An element with an <c>xsi:type</c>, as vim25 wants for derived data objects.</summary>
    public static XElement Typed(string name, string type, params object[] content) =>
        new(Vim + name, [new XAttribute(Xsi + "type", type), .. content]);

    /// <summary>The method's response element (<c>&lt;XResponse&gt;</c>) of a successful answer.</summary>
    public static XElement ResponseOf(XDocument document, string method)
    {
        var body = document.Root?.Element(Soap + "Body") ?? throw new FormatException($"the answer to {method} has no SOAP body");
        return body.Elements().FirstOrDefault(e => e.Name.LocalName == method + "Response")
            ?? throw new FormatException($"the answer to {method} has no {method}Response element");
    }

    /// <summary>The fault of an answer, or null when it holds none.</summary>
    public static VimFaultException? FaultOf(XDocument document, string method, MoRef target)
    {
        var fault = document.Root?.Element(Soap + "Body")?.Element(Soap + "Fault");
        if (fault is null)
        {
            return null;
        }

        var faultString = (string?)fault.Element("faultstring") ?? "";
        var detail = fault.Element("detail")?.Elements().FirstOrDefault();
        var type = detail is null ? "SystemError" : TypeName(detail);
        var found = new VimFaultDetail(
            Object: Text(detail, "obj") ?? Text(detail, "object"),
            File: Text(detail, "file"),
            InvalidProperty: Text(detail, "invalidProperty"),
            FaultMessageKey: detail?.Elements().FirstOrDefault(e => e.Name.LocalName == "faultMessage")?.Elements().FirstOrDefault(e => e.Name.LocalName == "key")?.Value);
        return VimFaultException.Create(type, method, target.Value, faultString, found);
    }

    /// <summary>A data object's vim25 type: its <c>xsi:type</c>, else the element name without the <c>Fault</c> suffix.</summary>
    public static string TypeName(XElement element)
    {
        var declared = (string?)element.Attribute(Xsi + "type");
        if (!string.IsNullOrEmpty(declared))
        {
            var colon = declared.IndexOf(':', StringComparison.Ordinal);
            return colon >= 0 ? declared[(colon + 1)..] : declared;
        }

        var name = element.Name.LocalName;
        return name.EndsWith("Fault", StringComparison.Ordinal) && name.Length > 5 ? name[..^5] : name;
    }

    public static XElement? Child(XElement? element, string localName) =>
        element?.Elements().FirstOrDefault(e => e.Name.LocalName == localName);

    public static IEnumerable<XElement> Children(XElement? element, string localName) =>
        element?.Elements().Where(e => e.Name.LocalName == localName) ?? [];

    public static string? Text(XElement? element, string localName) => Child(element, localName)?.Value;

    public static long Long(XElement? element, string localName) =>
        long.Parse(Text(element, localName) ?? throw new FormatException($"no <{localName}> in {element?.Name.LocalName}"), CultureInfo.InvariantCulture);

    public static MoRef MoRefOf(XElement element) =>
        new((string?)element.Attribute("type") ?? throw new FormatException($"<{element.Name.LocalName}> is not a managed object reference"), element.Value.Trim());
}

/// <summary>A managed object reference: type and value (<c>VirtualMachine</c>, <c>vm-42</c>).</summary>
public readonly record struct MoRef(string Type, string Value)
{
    public override string ToString() => Value;
}
