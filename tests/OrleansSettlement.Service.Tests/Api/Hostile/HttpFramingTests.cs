using System.Net.Sockets;
using System.Text;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api.Hostile;

/// <summary>
/// Requests whose HTTP framing is broken (a chunked body with a bad chunk size, a body shorter than its Content-Length,
/// both Content-Length and chunked), sent byte for byte on a socket, since no HTTP client sends them. They must be
/// refused as bad requests (4xx), never answered 500, and act on nothing. Kestrel refuses some before the application
/// sees them (a bare 400); the others reach the route, which answers <c>malformed_json</c> when it cannot read the body.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed class HttpFramingTests(ApiFixture api)
{
    public static TheoryData<string, string, bool> BrokenBodies => new()
    {
        { "a bad chunk size", "Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n", true },
        { "a chunk longer than announced", "Transfer-Encoding: chunked\r\n\r\n2\r\n{\"institution\":1}\r\n0\r\n\r\n", true },
        { "a chunk size past 2^63", "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n", true },
        { "Content-Length and chunked", "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false },
        { "a negative Content-Length", "Content-Length: -5\r\n\r\n{}", false },
        { "two Content-Lengths", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", false },
    };

    [Theory]
    [MemberData(nameof(BrokenBodies))]
    public async Task BrokenFraming_PostWithValidCredentials_RefusedNever500(string what, string tail, bool reachesTheRoute)
    {
        var before = await StoredRows.ReadAsync(api.StorageConnectionString);
        var head = $"POST /v1/institutions HTTP/1.1\r\nHost: {api.BaseAddress.Authority}\r\nAuthorization: Bearer {api.AdminToken.Token}\r\n"
            + $"Idempotency-Key: {SettlementIds.NewIdempotencyKey()}\r\nContent-Type: application/json\r\nConnection: close\r\n";

        var answer = await SendRawAsync(head + tail);
        var status = int.Parse(answer.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(status is >= 400 and < 500, $"{what}: answered {answer}");
        if (reachesTheRoute)
        {
            Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
            Assert.Contains("\"code\":\"malformed_json\"", answer, StringComparison.Ordinal);
        }

        Assert.Empty((await StoredRows.ReadAsync(api.StorageConnectionString)).ChangesSince(before));
    }

    /// <summary>Sends <paramref name="request"/> as it is and returns the whole answer (the server closes the connection).</summary>
    private async Task<string> SendRawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        await stream.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        var received = new StringBuilder();
        while (true)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var answer = received.ToString();
        Assert.StartsWith("HTTP/1.1 ", answer, StringComparison.Ordinal);
        return answer;
    }
}
