namespace OrleansSettlement.Cli.Demo;

/// <summary>
/// An exclusive lock between processes on this machine, held as an open lock file (<c>demo.json.lock</c>), so that two
/// commands never make two different tokens for one demo institution or store at the same time.
/// </summary>
internal sealed class FileGate : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly FileStream _stream;

    private FileGate(FileStream stream) => _stream = stream;

    public static async Task<FileGate> AcquireAsync(string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var waited = TimeSpan.Zero;
        while (true)
        {
            try
            {
                return new FileGate(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (waited < Patience)
            {
                // Another settle holds it: wait for it.
            }
            catch (IOException exception)
            {
                throw new DemoSetupException($"{path} stayed locked for {Patience.TotalSeconds:0} s by another settle command ({exception.Message}).");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
            waited += TimeSpan.FromMilliseconds(100);
        }
    }

    public void Dispose() => _stream.Dispose();
}
