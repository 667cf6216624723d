using System.Text;
using Redoubt.Graph.Import;

namespace Redoubt.Tests.Graph.Import;

/// <summary>
/// The inventory reader as a stream: rows and line numbers right across the pipe's buffers, and the
/// limits on rows, row length and columns stop or refuse with a code and the line (synthetic files: scale and limits).
/// </summary>
public sealed class InventoryStreamTests
{
    private static readonly InventoryLimits Small = new(MaxRows: 1_000_000, MaxRowChars: 200, MaxColumns: 4);

    [Fact]
    public void A_csv_larger_than_the_read_buffers_keeps_every_row_and_each_bad_row_s_line()
    {
        var csv = new StringBuilder("host,addresses,os\n");
        for (var i = 0; i < 30_000; i++)
            csv.Append(i % 7_919 == 0 ? $"h{i},\"10.0.0.1\nbroken\"\n" : $"h{i},10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256},\"Debian, 12\"\n");
        var (rows, errors) = InventoryReader.Read("assets", csv.ToString(), json: false);
        // Rows 0, 7919, 15838, 23757 have two cells (the quoted one holds a line break): refused by their first line.
        Assert.Equal(30_000 - 4, rows.Count);
        Assert.Equal([2, 7_919 + 2 + 1, 15_838 + 2 + 2, 23_757 + 2 + 3], errors.Select(e => e.Line));
        Assert.All(errors, e => Assert.Equal("column_count", e.Code));
        Assert.Equal("h29999", rows[^1].Cells["host"]);
        Assert.Equal(30_000 + 4 + 1, rows[^1].Line);
        Assert.Equal("Debian, 12", rows[^1].Cells["os"]);
    }

    [Fact]
    public void A_json_array_larger_than_the_read_buffers_keeps_every_row_and_each_bad_row_s_line()
    {
        var json = new StringBuilder("[\n");
        for (var i = 0; i < 20_000; i++)
        {
            if (i > 0) json.Append(",\n");
            json.Append(i % 4_999 == 0 ? $"{{\n  \"host\": \"h{i}\",\n  \"os\": {{\"nested\": true}}\n}}" : $"{{\n  \"host\": \"h{i}\",\n  \"ips\": [\"10.0.{i / 256 % 256}.{i % 256}\"]\n}}");
        }
        json.Append("\n]\n");
        var (rows, errors) = InventoryReader.Read("assets", json.ToString(), json: true);
        Assert.Equal(20_000 - 5, rows.Count);
        // Object i starts on line 2 + 4i.
        Assert.Equal(new[] { 0, 4_999, 9_998, 14_997, 19_996 }.Select(i => 2 + 4 * i), errors.Select(e => e.Line));
        Assert.All(errors, e => Assert.Equal("bad_value", e.Code));
        Assert.Equal((2 + 4 * 19_999, "h19999"), (rows[^1].Line, rows[^1].Cells["host"]));
        Assert.Equal("10.0.78.31", rows[^1].Cells["addresses"]);
    }

    [Fact]
    public void A_csv_row_over_the_length_limit_stops_reading_there_and_keeps_the_rows_before()
    {
        var csv = "host,os\nweb1,Debian\nweb2,Debian\ndb1," + new string('x', 500) + "\nweb3,Debian\n";
        var (rows, errors) = InventoryReader.Read("assets", csv, json: false, Small);
        Assert.Equal(["web1", "web2"], rows.Select(r => r.Cells["host"]));
        var stop = Assert.Single(errors);
        Assert.Equal((4, "row_too_long"), (stop.Line, stop.Code));
        Assert.Contains("Import:MaxRowChars", stop.Message);
    }

    [Fact]
    public void An_unclosed_quote_in_a_large_file_stops_at_its_row_instead_of_reading_the_rest_into_one_cell()
    {
        var csv = new StringBuilder("host,os\nweb1,\"Debian\nweb2,Debian\n");
        for (var i = 0; i < 10_000; i++) csv.Append($"h{i},Debian\n");
        var (rows, errors) = InventoryReader.Read("assets", csv.ToString(), json: false, Small);
        Assert.Empty(rows);
        var stop = Assert.Single(errors);
        Assert.Equal((2, "row_too_long"), (stop.Line, stop.Code));
        Assert.Contains("unclosed quote", stop.Message);
    }

    [Fact]
    public void More_rows_than_the_limit_stop_at_the_first_row_over_it()
    {
        var limits = Small with { MaxRows = 3 };
        var csv = "host\nh1\n\nh2\nbad host\nh3\nh4\n";
        var (rows, errors) = InventoryReader.Read("assets", csv, json: false, limits);
        Assert.Equal(["h1", "h2", "bad host"], rows.Select(r => r.Cells["host"])); // blank lines are not rows; a bad row counts
        Assert.Equal((6, "too_many_rows"), (errors.Single().Line, errors.Single().Code));

        var (jsonRows, jsonErrors) = InventoryReader.Read("assets", """[{"host":"h1"},{"host":"h2"},{"host":"h3"},{"host":"h4"}]""", json: true, limits);
        Assert.Equal(3, jsonRows.Count);
        Assert.Equal("too_many_rows", jsonErrors.Single().Code);
    }

    [Fact]
    public void Too_many_columns_stop_a_csv_at_its_header_and_refuse_one_json_row()
    {
        var (rows, errors) = InventoryReader.Read("assets", "host,os,owner,rack,room\nweb1,a,b,c,d\n", json: false, Small);
        Assert.Empty(rows);
        Assert.Equal((1, "too_many_columns"), (errors.Single().Line, errors.Single().Code));

        (rows, errors) = InventoryReader.Read("assets", "[{\"host\":\"web1\"},\n{\"host\":\"web2\",\"a\":1,\"b\":2,\"c\":3,\"d\":4},\n{\"host\":\"web3\"}]", json: true, Small);
        Assert.Equal(["web1", "web3"], rows.Select(r => r.Cells["host"]));
        Assert.Equal((2, "too_many_columns"), (errors.Single().Line, errors.Single().Code));
    }

    [Fact]
    public void A_json_row_over_the_length_limit_is_refused_and_one_that_never_ends_stops_reading()
    {
        var json = "[{\"host\":\"web1\"},\n{\"host\":\"web2\",\"os\":\"" + new string('x', 300) + "\"},\n{\"host\":\"web3\"}]";
        var (rows, errors) = InventoryReader.Read("assets", json, json: true, Small);
        Assert.Equal(["web1", "web3"], rows.Select(r => r.Cells["host"]));
        Assert.Equal((2, "row_too_long"), (errors.Single().Line, errors.Single().Code));

        // One string of 1 MB: more than the limit and the read buffer can hold as one row.
        json = "[{\"host\":\"web1\"},\n{\"host\":\"web2\",\"os\":\"" + new string('x', 1 << 20) + "\"}]";
        (rows, errors) = InventoryReader.Read("assets", json, json: true, Small);
        Assert.Equal("web1", rows.Single().Cells["host"]);
        Assert.Equal((2, "row_too_long"), (errors.Single().Line, errors.Single().Code));
    }

    [Fact]
    public void Broken_json_stops_at_the_row_it_breaks_in_and_keeps_the_rows_before()
    {
        var (rows, errors) = InventoryReader.Read("assets", "[{\"host\":\"web1\"},\n{\"host\":\n\"web2\" \"os\":1},\n{\"host\":\"web3\"}]", json: true);
        Assert.Equal("web1", rows.Single().Cells["host"]);
        Assert.Equal((2, "bad_json"), (errors.Single().Line, errors.Single().Code));
        Assert.Contains("line 3", errors.Single().Message);

        (rows, errors) = InventoryReader.Read("assets", "[{\"host\":\"web1\"},\n{\"host\":\"web2\"", json: true);
        Assert.Equal("web1", rows.Single().Cells["host"]);
        Assert.Equal("bad_json", errors.Single().Code);

        (_, errors) = InventoryReader.Read("assets", "\uFEFF {\"host\":\"web1\"}", json: true);
        Assert.Equal((1, "not_an_array"), (errors.Single().Line, errors.Single().Code));
    }
}
