using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Redoubt.Api;

namespace Redoubt.Tests.Api;

/// <summary>The filters GET /api/v1/events and /api/v1/export read from the query string.</summary>
public sealed class EventFiltersTests
{
    private static QueryCollection Query(params (string Key, string Value)[] pairs) =>
        new(pairs.ToDictionary(p => p.Key, p => new StringValues(p.Value)));

    [Theory]
    [InlineData("2026-12-04T09:30:00Z", 1796376600000L)]
    [InlineData("2026-12-04T10:30:00+01:00", 1796376600000L)]
    [InlineData("2026-12-04T09:30:00", 1796376600000L)] // no offset: UTC
    [InlineData("2026-12-04 09:30:00Z", 1796376600000L)]
    [InlineData("2026-12-04", 1796342400000L)]
    public void Iso_8601_times_are_read_as_utc_unless_they_carry_an_offset(string text, long expectedMs)
    {
        Assert.Equal(expectedMs, ApiEndpoints.ParseFilters(Query(("from", text))).FromMs);
    }

    [Theory]
    [InlineData("12/04/2026")] // month first or day first depends on who typed it
    [InlineData("04.12.2026")]
    [InlineData("4 Dec 2026")]
    [InlineData("yesterday")]
    [InlineData("2026-13-04")]
    [InlineData("20261204")]
    public void A_time_that_is_not_iso_8601_is_refused_with_its_name_and_an_example(string text)
    {
        var e = Assert.Throws<ApiEndpoints.BadRequestException>(() => ApiEndpoints.ParseFilters(Query(("to", text))));
        Assert.Contains($"to: '{text}' is not an ISO 8601 time", e.Message);
        Assert.Contains("2026-12-04T09:30:00Z", e.Message);
    }

    [Fact]
    public void A_window_whose_start_is_after_its_end_is_refused_not_answered_with_nothing()
    {
        var e = Assert.Throws<ApiEndpoints.BadRequestException>(() =>
            ApiEndpoints.ParseFilters(Query(("from", "2026-12-05T00:00:00Z"), ("to", "2026-12-04T00:00:00Z"))));
        Assert.Contains("from (2026-12-05T00:00:00Z) is after to (2026-12-04T00:00:00Z)", e.Message);
        // Equal bounds and open ends are fine.
        var same = ApiEndpoints.ParseFilters(Query(("from", "2026-12-04T00:00:00Z"), ("to", "2026-12-04T00:00:00Z")));
        Assert.Equal(same.FromMs, same.ToMs);
        Assert.Null(ApiEndpoints.ParseFilters(Query(("from", "2026-12-05T00:00:00Z"))).ToMs);
    }
}
