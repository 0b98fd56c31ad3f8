namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>The API while its cluster is unreachable after it had connected: 503, never 500 (docs/api.md, "Problems").</summary>
[Collection(FlowCollection.Name)]
public sealed class ClusterOutageTests(FlowFixture fixture) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await fixture.AssertInvariantsAsync();

    [Fact]
    public async Task SiloGone_AfterTheApiConnected_RequestsAnswer503Not500()
    {
        using var http = new HttpClient { BaseAddress = fixture.ApiAddress, Timeout = TimeSpan.FromSeconds(60) };
        using (var before = await http.GetAsync(new Uri("v1/institutions/no-such-bank", UriKind.Relative)))
        {
            Assert.Equal(404, (int)before.StatusCode);
        }

        await fixture.StopSiloAsync();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var during = await http.GetAsync(new Uri("v1/institutions/no-such-bank", UriKind.Relative));
            var body = await during.Content.ReadAsStringAsync();
            Assert.True(503 == (int)during.StatusCode, $"expected 503 while the cluster is unreachable, got {(int)during.StatusCode} after {clock.ElapsedMilliseconds} ms: {body}");
        }
        finally
        {
            await fixture.RestartSiloAsync();
        }
    }
}
