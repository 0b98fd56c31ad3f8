using OrleansSettlement.Cli.Demo;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Cli.Service;

/// <summary>
/// Seeds the demo data through the API as the admin (<see cref="DemoSeeder"/>): the institutions bank-a .. bank-e and
/// bank-store, and the store demo-store paid into its account at bank-store; their tokens go to .settle/demo.json (0600).
/// Idempotent: on later starts it finds them and checks the file's tokens. A failure is reported and the service keeps
/// running (everything but the demo works without the demo data).
/// </summary>
internal sealed class SeedDemoStep : IReadyStep
{
    public string Description => $"Seeding the demo data ({DemoCatalog.Institutions.Count} institutions, store {DemoCatalog.Store})";

    public async Task RunAsync(RunningService service, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(service);
        var layout = new Layout(service.RepositoryRoot);
        using var http = new HttpClient { BaseAddress = service.ApiBaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var seeder = new DemoSeeder(new SettlementClient(http), layout.DemoTokensFile);
        try
        {
            await seeder.SeedAsync(service.AdminToken, ct).ConfigureAwait(false);
            Console.WriteLine($"Demo data ready: {DemoCatalog.Institutions.Count} institutions, store {DemoCatalog.Store} (operator and store tokens in {layout.Relative(layout.DemoTokensFile)}, mode 0600)");
        }
        catch (Exception exception) when (exception is DemoSetupException or SettlementApiException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync(
                $"settle up: the demo data is not ready: {exception.Message.ReplaceLineEndings(" ")} The service runs without it; `./settle demo` will not work until this is fixed.").ConfigureAwait(false);
        }
    }
}
