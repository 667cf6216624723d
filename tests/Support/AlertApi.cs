using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Redoubt.Tests.Support;

/// <summary>The alert and IOC API of a running appliance, through its own HTTP client.</summary>
public static class AlertApi
{
    /// <summary>Every alert matching <paramref name="query"/> (e.g. "state=new&amp;sort=risk"), following nextCursor.</summary>
    public static async Task<List<JsonElement>> AllAsync(ApplianceProcess app, string query = "")
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await app.GetJsonAsync("/api/v1/alerts?limit=1000" + (query.Length > 0 ? "&" + query : "") + (cursor is null ? "" : "&cursor=" + cursor));
            all.AddRange(page.GetProperty("alerts").EnumerateArray());
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
        } while (cursor is not null);
        return all;
    }

    /// <summary>Waits until detection has applied every stored event (the detection sink's checkpointed store caught up).</summary>
    public static async Task WaitForDetectionAsync(ApplianceProcess app, long events, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        long seen = -1;
        while (DateTime.UtcNow < deadline)
        {
            var stats = await app.StatsAsync();
            var committed = stats.GetProperty("committedUntil").GetInt64();
            var detection = stats.GetProperty("stores").EnumerateArray().First(s => s.GetProperty("name").GetString() == "detection");
            seen = stats.GetProperty("events").GetInt64();
            if (seen >= events && detection.GetProperty("appliedUntil").GetInt64() >= committed) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"detection did not catch up ({seen} of {events} events stored)\n{app.Output}");
    }

    public static async Task<(int Status, JsonElement Body)> PostAsync(ApplianceProcess app, string path, string body, string contentType = "application/json")
    {
        using var r = await app.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));
        var text = await r.Content.ReadAsStringAsync();
        return ((int)r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
