using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using OrleansSettlement.Api;
using OrleansSettlement.Protocol.Http;
using OrleansSettlement.Sdk;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Api.Hostile;

/// <summary>
/// Hostile input at every route the running API serves, read from its endpoint data source (so a route added later is
/// covered without touching this file): generated malformed, oversized, deeply nested, wrong-typed, duplicated and
/// boundary-valued bodies, bad path and query values, wrong content types, missing, wrong and forged credentials and bad
/// Idempotency-Keys, over real HTTP. Every answer must be a refusal, never a 5xx, an RFC 9457 problem whose code the route
/// documents, with no internals or secrets; and the stored rows (every grain's state and every idempotency record) must
/// be the same after as before.
/// </summary>
/// <remarks>
/// The cases come from CsCheck with a fixed seed (<see cref="DefaultSeed"/>), so every run sends the same requests; set
/// SETTLE_FUZZ_SEED to another seed (a failure prints the one it ran) and SETTLE_FUZZ_CASES to the number of cases per
/// route (default <see cref="DefaultCasesPerRoute"/>) to explore further.
/// </remarks>
[Collection(HostileCollection.Name)]
public sealed class HostileInputTests(ApiFixture api, ITestOutputHelper output) : IAsyncLifetime
{
    public const string DefaultSeed = "0N0XIzNsQ0O2";
    public const int DefaultCasesPerRoute = 24;

    private HostileWorld _world = null!;
    private JsonElement _document;
    private IReadOnlyList<ApiRoute> _routes = [];

    private static string Seed => Environment.GetEnvironmentVariable("SETTLE_FUZZ_SEED") is { Length: > 0 } seed ? seed : DefaultSeed;

    private static int CasesPerRoute => int.TryParse(Environment.GetEnvironmentVariable("SETTLE_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultCasesPerRoute;

    public async Task InitializeAsync()
    {
        _world = await HostileWorld.CreateAsync(api);
        using var response = await api.Http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        _document = document.RootElement.Clone();
        _routes = ApiRoutes.Read(api.ApiServices, _document);
    }

    public Task DisposeAsync()
    {
        _world.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public void EveryPartnerRoute_SaysWhoMayCallItAndWhatItRefuses()
    {
        Assert.NotEmpty(_routes);
        var undocumented = _routes.Where(r => r.Doc is null).Select(r => r.ToString()).ToList();
        Assert.True(undocumented.Count == 0, "routes without RouteDoc metadata (add .Documented(access, isPost, codes...)): " + string.Join(", ", undocumented));
    }

    [Fact]
    public async Task GeneratedHostileRequests_EveryRoute_RefusedWithADocumentedProblemAndNoTrace()
    {
        var schemas = _document.GetProperty("components").GetProperty("schemas");
        var routes = _routes.Where(r => r.Doc is not null).Select(_world.Aim).ToList();
        var gen = Gen.Const(new List<HostileCase>());
        foreach (var route in routes)
        {
            gen = gen.SelectMany(list => HostileCases.For(route, schemas).Array[CasesPerRoute].Select(cases => { list.AddRange(cases); return list; }));
        }

        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var before = await StoredRows.ReadAsync(api.StorageConnectionString);
        var sent = 0;
        await gen.SampleAsync(
            async cases =>
            {
                foreach (var hostile in cases)
                {
                    using var request = await hostile.BuildAsync(_world);
                    var answer = await AnswerChecks.SendAsync(api.Http, request);
                    sent++;
                    statuses[answer.StatusCode] = statuses.GetValueOrDefault(answer.StatusCode) + 1;
                    foreach (var failure in AnswerChecks.Judge(answer, hostile.Route, mustRefuse: true, _world.Secrets))
                    {
                        failures.Add($"{hostile}: {failure}. Answer: {answer}");
                    }
                }
            },
            seed: Seed,
            iter: 1,
            threads: 1);
        var changes = (await StoredRows.ReadAsync(api.StorageConnectionString)).ChangesSince(before);

        output.WriteLine($"seed {Seed}: {sent} hostile requests to {routes.Count} routes; answers by status: {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}");
        Assert.True(failures.Count == 0, $"seed {Seed} (SETTLE_FUZZ_SEED): {failures.Count} of {sent} hostile requests were answered wrongly:\n" + string.Join('\n', failures.Take(40)));
        Assert.True(changes.Count == 0, $"seed {Seed} (SETTLE_FUZZ_SEED): refused requests left a trace in grain storage:\n" + string.Join('\n', changes.Take(40)));
    }

    /// <summary>The instrument itself: an accepted request does leave rows that differ, so equal rows above mean something.</summary>
    [Fact]
    public async Task StoredRows_AnAcceptedDeposit_IsSeenAsAChange()
    {
        var before = await StoredRows.ReadAsync(api.StorageConnectionString);

        await _world.Bank.Operator.DepositAsync(_world.Alice.Account, 1);
        var changes = (await StoredRows.ReadAsync(api.StorageConnectionString)).ChangesSince(before);

        Assert.Contains(changes, change => change.StartsWith("rewritten ", StringComparison.Ordinal));
        Assert.Contains(changes, change => change.StartsWith("added ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OversizedBodies_EveryPostRoute_Refused413BeforeAnythingIsRead()
    {
        var limit = new ApiOptions().MaxBundleBodyBytes;
        var before = await StoredRows.ReadAsync(api.StorageConnectionString);
        foreach (var route in _routes.Where(r => r.IsPost))
        {
            var example = route.RequestExample?.ToJsonString() ?? "{}";
            var padded = Encoding.UTF8.GetBytes(example[..^1] + new string(' ', limit) + "}");
            foreach (var chunked in new[] { false, true })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _world.UriOf(route.Path(p => Uri.EscapeDataString(_world.PathValue(p)))))
                {
                    Content = chunked ? new StreamContent(new MemoryStream(padded)) : new ByteArrayContent(padded),
                };
                request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                request.Headers.TryAddWithoutValidation(HttpSignatures.IdempotencyKeyHeader, SettlementIds.NewIdempotencyKey());
                await _world.AuthorizeAsync(request, padded, route.Doc!.Access);

                var answer = await AnswerChecks.SendAsync(api.Http, request);

                Assert.True(answer.Status == HttpStatusCode.RequestEntityTooLarge && answer.Code == "payload_too_large", $"{route} ({(chunked ? "chunked" : "with Content-Length")}): {answer}");
                Assert.Empty(AnswerChecks.Judge(answer, route, mustRefuse: true, _world.Secrets));
            }
        }

        Assert.Empty((await StoredRows.ReadAsync(api.StorageConnectionString)).ChangesSince(before));
    }
}
