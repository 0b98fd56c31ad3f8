using System.Diagnostics;

namespace OrleansSettlement.Testing.Azurite;

/// <summary>Drains a child process's output (so its pipes never fill) and keeps the last lines for error messages.</summary>
internal sealed class OutputTail
{
    private const int MaxLines = 40;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public OutputTail(Process process)
    {
        process.OutputDataReceived += (_, line) => Add(line.Data);
        process.ErrorDataReceived += (_, line) => Add(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
            }
        }
    }
}
