using Redoubt.Storage.State;

namespace Redoubt.Tests.Api.Access;

/// <summary>A real state store in a fresh temp directory, removed afterwards.</summary>
internal sealed class StateDir : IAsyncDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("redoubt-state-").FullName;
    public StateStore Store { get; private set; }

    public StateDir() => Store = Open();

    private StateStore Open() => StateStore.Open(new StateStoreOptions { Directory = System.IO.Path.Combine(Path, "state") });

    /// <summary>Closes and opens the store again, as a restart does.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = Open();
    }

    /// <summary>Every byte the store wrote, to check that no secret is in there.</summary>
    public byte[] AllBytes() =>
        Directory.GetFiles(Path, "*", SearchOption.AllDirectories).SelectMany(File.ReadAllBytes).ToArray();

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
