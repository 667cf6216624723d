namespace Redoubt.Hosting;

/// <summary>
/// The VM image's version (git describe and build date), stamped by image/build.sh into
/// /etc/redoubt/image-version. Absent outside the image (a dev run, the Docker image).
/// </summary>
public static class ImageVersion
{
    public const string FileName = "image-version";

    public static string? Read(string configDir)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(configDir, FileName)).Trim();
            // One short line of printable text: it is shown in the console and on the VM console.
            return text.Length is > 0 and <= 200 && text.All(c => c >= ' ' && c < 0x7f) ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
