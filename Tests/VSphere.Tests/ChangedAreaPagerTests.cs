using Migration.VmaAgent.Sources;
using Migration.VmaAgent.VSphere;

namespace Migration.Tests.VSphere;

/// <summary>Paging <c>QueryChangedDiskAreas</c>: answers that end exactly at, before, and beyond the capacity.</summary>
public sealed class ChangedAreaPagerTests
{
    private const long Capacity = 1 << 20;

    [Fact]
    public async Task One_answer_ending_exactly_at_the_capacity_is_one_call()
    {
        var calls = new List<long>();
        var areas = await ChangedAreaPager.ReadAllAsync(Capacity, Answer(calls, offset => new DiskChangeInfo(offset, Capacity - offset, [(0, 4096), (65536, 8192)])), default);

        Assert.Equal([0L], calls);
        Assert.Equal([new DiskArea(0, 4096), new DiskArea(65536, 8192)], areas);
    }

    [Fact]
    public async Task Answers_ending_before_the_capacity_are_followed_from_where_each_span_ends()
    {
        var calls = new List<long>();
        var pages = new Dictionary<long, DiskChangeInfo>
        {
            [0] = new(0, 131072, [(0, 4096), (65536, 65536)]),
            [131072] = new(131072, 393216 - 131072, [(262144, 4096)]),
            [393216] = new(393216, Capacity - 393216, [(1044480, 4096)]),
        };
        var areas = await ChangedAreaPager.ReadAllAsync(Capacity, Answer(calls, offset => pages[offset]), default);

        Assert.Equal([0L, 131072L, 393216L], calls);
        Assert.Equal([new DiskArea(0, 4096), new DiskArea(65536, 65536), new DiskArea(262144, 4096), new DiskArea(1044480, 4096)], areas);
    }

    [Fact]
    public async Task An_answer_reaching_beyond_the_capacity_is_cut_at_the_capacity_and_ends_the_loop()
    {
        var calls = new List<long>();
        var areas = await ChangedAreaPager.ReadAllAsync(Capacity, Answer(calls, offset => new DiskChangeInfo(offset, Capacity * 2, [(Capacity - 4096, 65536)])), default);

        Assert.Equal([0L], calls);
        Assert.Equal([new DiskArea(Capacity - 4096, 4096)], areas);
    }

    [Fact]
    public async Task A_span_shorter_than_its_last_area_still_moves_past_that_area()
    {
        var calls = new List<long>();
        var pages = new Dictionary<long, DiskChangeInfo>
        {
            [0] = new(0, 0, [(0, 65536)]),
            [65536] = new(65536, Capacity - 65536, []),
        };
        var areas = await ChangedAreaPager.ReadAllAsync(Capacity, Answer(calls, offset => pages[offset]), default);

        Assert.Equal([0L, 65536L], calls);
        Assert.Equal([new DiskArea(0, 65536)], areas);
    }

    [Fact]
    public async Task An_answer_that_does_not_move_forward_is_an_error_not_an_endless_loop()
    {
        var calls = new List<long>();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ChangedAreaPager.ReadAllAsync(Capacity, Answer(calls, offset => new DiskChangeInfo(offset, 0, [])), default));

        Assert.Single(calls);
        Assert.Contains("without moving forward", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overlapping_and_adjacent_areas_across_pages_are_merged()
    {
        var pages = new Dictionary<long, DiskChangeInfo>
        {
            [0] = new(0, 8192, [(0, 8192)]),
            [8192] = new(8192, Capacity - 8192, [(4096, 8192), (12288, 4096)]),
        };
        var areas = await ChangedAreaPager.ReadAllAsync(Capacity, Answer([], offset => pages[offset]), default);

        Assert.Equal([new DiskArea(0, 16384)], areas);
    }

    private static Func<long, CancellationToken, Task<DiskChangeInfo>> Answer(List<long> calls, Func<long, DiskChangeInfo> page) =>
        (offset, _) =>
        {
            calls.Add(offset);
            return Task.FromResult(page(offset));
        };
}
