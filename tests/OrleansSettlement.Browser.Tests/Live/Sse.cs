using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace OrleansSettlement.Browser.Tests.Live;

/// <summary>One Server-Sent Event as received: its id, type and data (parsed).</summary>
public sealed record SseEvent(long Id, string Type, JsonElement Data);

/// <summary>Reads a text/event-stream body (WHATWG format: id, event and data lines, then a blank line).</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    /// <summary>The next event, or null when the stream ends; comments and <c>retry</c> lines are skipped.</summary>
    public async Task<SseEvent?> NextAsync(CancellationToken cancellationToken)
    {
        long? id = null;
        string? type = null;
        string? data = null;
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    using var document = JsonDocument.Parse(data);
                    return new SseEvent(id ?? -1, type ?? "message", document.RootElement.Clone());
                }

                continue;
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data = data is null ? value : data + "\n" + value;
                    break;
                default:
                    break;
            }
        }

        return null;
    }

    /// <summary>Reads events until <paramref name="until"/> holds for one (included), within <paramref name="timeout"/>.</summary>
    public async Task<List<SseEvent>> ReadUntilAsync(Func<SseEvent, bool> until, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(until);
        using var cancel = new CancellationTokenSource(timeout);
        var events = new List<SseEvent>();
        while (true)
        {
            SseEvent? next;
            try
            {
                next = await NextAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the awaited event did not come within {timeout}; received: {Describe(events)}");
            }

            Assert.True(next is not null, "the stream ended early; received: " + Describe(events));
            events.Add(next);
            if (until(next))
            {
                return events;
            }
        }
    }

    public void Dispose() => _reader.Dispose();

    /// <summary>Asks for an event stream, continuing after <paramref name="lastEventId"/> when given.</summary>
    public static void Prepare(HttpRequestMessage request, long? lastEventId)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is { } id)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", id.ToString(CultureInfo.InvariantCulture));
        }
    }

    public static string Describe(IEnumerable<SseEvent> events) => string.Join(", ", events.Select(e => $"{e.Id}:{e.Type}"));
}
