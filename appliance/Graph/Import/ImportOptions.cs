using Redoubt.Configuration;

namespace Redoubt.Graph.Import;

/// <summary>
/// The Import section of the configuration: how large an import may be. The body is read as a
/// stream and stored in batches, so memory does not grow with these; they bound how long one import
/// holds the log and how much of it one client can fill.
/// </summary>
public sealed class ImportOptions
{
    /// <summary>Largest body of POST /api/v1/import/{kind} and POST /api/v1/graph/import (413 over it).</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;
    /// <summary>Rows one inventory file may hold; reading stops after them (too_many_rows).</summary>
    public int MaxRows { get; set; } = 5_000_000;
    /// <summary>Characters of one CSV row (UTF-8 bytes of one JSON row object); a longer row stops reading (row_too_long).</summary>
    public int MaxRowChars { get; set; } = 65_536;
    /// <summary>Columns of a CSV header, or fields of one JSON row object.</summary>
    public int MaxColumns { get; set; } = 64;
    /// <summary>Rows checked and appended to the event log together: what one import holds in memory at a time.</summary>
    public int BatchRows { get; set; } = 5_000;

    public void Validate()
    {
        if (MaxBytes < 1 || MaxRows < 1 || MaxRowChars < 1 || MaxColumns < 1 || BatchRows < 1)
            throw new StartupException("Import: MaxBytes, MaxRows, MaxRowChars, MaxColumns and BatchRows must be at least 1");
        if (BatchRows > 100_000) throw new StartupException("Import:BatchRows: at most 100000 (a batch is held in memory)");
    }
}
