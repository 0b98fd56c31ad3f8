using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Deploy.Tests;

/// <summary>One environment variable a template sets on a container: a value (possibly a deployment-time expression) or a secret reference.</summary>
internal sealed record EnvironmentVariable(string Name, string? Value, string? SecretRef)
{
    /// <summary>The configuration key .NET reads it as (<c>__</c> is <c>:</c>).</summary>
    public string Key => Name.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>True when the value is known only at deployment time (<c>[reference(...)]</c>).</summary>
    public bool IsDeploymentTimeValue => Value is not null && Value.StartsWith('[');
}

/// <summary>
/// What deploying one parameter file (deploy/bicep/env/{name}.bicepparam) would create, from <c>bicep snapshot</c>,
/// with the banks it names. Snapshots are made once per environment per test run.
/// </summary>
internal sealed class Deployment
{
    public const string SiloContainer = "silo";
    public const string ApiContainer = "api";

    private static readonly ConcurrentDictionary<string, Lazy<Deployment>> Cache = new(StringComparer.Ordinal);

    private Deployment(string environment, JsonArray resources, IReadOnlyList<string> banks, JsonObject parameters)
    {
        Environment = environment;
        Resources = [.. resources.Select(resource => resource!.AsObject())];
        Banks = banks;
        Parameters = parameters;
    }

    public string Environment { get; }

    public IReadOnlyList<JsonObject> Resources { get; }

    public IReadOnlyList<string> Banks { get; }

    public JsonObject Parameters { get; }

    public static Deployment Of(string environment) =>
        Cache.GetOrAdd(environment, name => new Lazy<Deployment>(() => Load(name))).Value;

    public IEnumerable<JsonObject> OfType(string type) =>
        Resources.Where(resource => string.Equals(resource["type"]!.GetValue<string>(), type, StringComparison.OrdinalIgnoreCase));

    /// <summary>The container app whose (single) container is named <paramref name="container"/>.</summary>
    public JsonObject App(string container) =>
        OfType("Microsoft.App/containerApps").Single(app => Container(app)["name"]!.GetValue<string>() == container);

    public static JsonObject Container(JsonObject app) =>
        app["properties"]!["template"]!["containers"]!.AsArray().Single()!.AsObject();

    public IReadOnlyList<EnvironmentVariable> EnvironmentOf(string container) =>
        [.. Container(App(container))["env"]!.AsArray().Select(item => new EnvironmentVariable(
            item!["name"]!.GetValue<string>(),
            item["value"]?.GetValue<string>(),
            item["secretRef"]?.GetValue<string>()))];

    private static Deployment Load(string environment)
    {
        var parameterFile = $"env/{environment}.bicepparam";
        var snapshot = Bicep.Snapshot(parameterFile);
        var diagnostics = snapshot["diagnostics"]?.AsArray() ?? [];
        if (diagnostics.Count > 0)
        {
            throw new InvalidOperationException($"bicep snapshot {parameterFile} reported: {diagnostics.ToJsonString()}");
        }

        var parameters = Bicep.Parameters(parameterFile);
        var banks = parameters["banks"]!["value"]!.AsArray().Select(bank => bank!["name"]!.GetValue<string>()).ToList();
        return new Deployment(environment, snapshot["predictedResources"]!.AsArray(), banks, parameters);
    }
}
