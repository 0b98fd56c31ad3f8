using System.Text.Json.Nodes;

namespace OrleansSettlement.Deploy.Tests;

/// <summary>
/// The security and health settings of what each environment would deploy (from <c>bicep snapshot</c>): the managed
/// identity holds exactly its four kinds of role, each at the narrowest scope; storage takes Entra ID only; the vault is
/// RBAC with purge protection and one P-256 key per bank (HSM-backed on Premium); the probes use the API's health routes.
/// </summary>
public sealed class TemplatePostureTests
{
    private const string TableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string BlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    private const string KeyVaultCryptoUser = "12338af0-0e69-4776-bea7-57ae8d297424";
    private const string AcrPull = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Identity_HoldsOnlyTableBlobKeyAndPullRoles_EachAtItsResource(string environment)
    {
        var deployment = Deployment.Of(environment);

        var grants = deployment.OfType("Microsoft.Authorization/roleAssignments")
            .Select(assignment => (Role: RoleOf(assignment), Scope: ScopeTypeOf(assignment)))
            .OrderBy(grant => grant.Role, StringComparer.Ordinal).ThenBy(grant => grant.Scope, StringComparer.Ordinal)
            .ToList();

        var expected = new[]
            {
                (Role: TableDataContributor, Scope: "Microsoft.Storage/storageAccounts"),
                (Role: BlobDataContributor, Scope: "Microsoft.Storage/storageAccounts"),
                (Role: AcrPull, Scope: "Microsoft.ContainerRegistry/registries"),
            }
            .Concat(deployment.Banks.Select(_ => (Role: KeyVaultCryptoUser, Scope: "Microsoft.KeyVault/vaults/keys")))
            .OrderBy(grant => grant.Role, StringComparer.Ordinal).ThenBy(grant => grant.Scope, StringComparer.Ordinal);
        Assert.Equal(expected, grants);
        Assert.All(deployment.OfType("Microsoft.Authorization/roleAssignments"), assignment =>
            Assert.Contains("userAssignedIdentities/", assignment["properties"]!["principalId"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Storage_TakesEntraIdOnly_OverTls12_WithNoPublicBlobs(string environment)
    {
        var account = Deployment.Of(environment).OfType("Microsoft.Storage/storageAccounts").Single()["properties"]!;

        Assert.False(account["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.True(account["defaultToOAuthAuthentication"]!.GetValue<bool>());
        Assert.False(account["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", account["minimumTlsVersion"]!.GetValue<string>());
        Assert.True(account["supportsHttpsTrafficOnly"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("dev", "standard", "EC")]
    [InlineData("prod", "premium", "EC-HSM")]
    public void KeyVault_IsRbacWithPurgeProtection_WithOneP256SigningKeyPerBank(string environment, string sku, string keyType)
    {
        var deployment = Deployment.Of(environment);
        var vault = deployment.OfType("Microsoft.KeyVault/vaults").Single()["properties"]!;
        var keys = deployment.OfType("Microsoft.KeyVault/vaults/keys").ToList();

        Assert.Equal(sku, vault["sku"]!["name"]!.GetValue<string>());
        Assert.True(vault["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.True(vault["enableSoftDelete"]!.GetValue<bool>());
        Assert.True(vault["enablePurgeProtection"]!.GetValue<bool>());
        Assert.Equal(deployment.Banks.Select(bank => bank + "-notes").Order(StringComparer.Ordinal), keys.Select(key => key["name"]!.GetValue<string>().Split('/')[1]).Order(StringComparer.Ordinal));
        Assert.All(keys, key =>
        {
            Assert.Equal(keyType, key["properties"]!["kty"]!.GetValue<string>());
            Assert.Equal("P-256", key["properties"]!["curveName"]!.GetValue<string>());
            Assert.Equal(["sign", "verify"], key["properties"]!["keyOps"]!.AsArray().Select(op => op!.GetValue<string>()));
            Assert.False(key["properties"]!["attributes"]!["exportable"]!.GetValue<bool>());
        });
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Probes_ApiUsesItsHealthRoutes_SiloItsOrleansPorts(string environment)
    {
        var deployment = Deployment.Of(environment);

        var api = Probes(deployment.App(Deployment.ApiContainer));
        Assert.Equal("/health/live", api["Liveness"]["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal("/health/ready", api["Readiness"]["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal("/health/live", api["Startup"]["httpGet"]!["path"]!.GetValue<string>());

        var siloApp = deployment.App(Deployment.SiloContainer);
        var silo = Probes(siloApp);
        var ingress = siloApp["properties"]!["configuration"]!["ingress"]!;
        Assert.Equal(ingress["targetPort"]!.GetValue<int>(), silo["Liveness"]["tcpSocket"]!["port"]!.GetValue<int>());
        Assert.Equal(ingress["additionalPortMappings"]![0]!["targetPort"]!.GetValue<int>(), silo["Readiness"]["tcpSocket"]!["port"]!.GetValue<int>());
        Assert.False(ingress["external"]!.GetValue<bool>());
        Assert.False(ingress["additionalPortMappings"]![0]!["external"]!.GetValue<bool>());
        Assert.True(deployment.App(Deployment.ApiContainer)["properties"]!["configuration"]!["ingress"]!["external"]!.GetValue<bool>());
    }

    private static Dictionary<string, JsonObject> Probes(JsonObject app) =>
        Deployment.Container(app)["probes"]!.AsArray().ToDictionary(probe => probe!["type"]!.GetValue<string>(), probe => probe!.AsObject(), StringComparer.Ordinal);

    private static string RoleOf(JsonObject assignment) =>
        assignment["properties"]!["roleDefinitionId"]!.GetValue<string>().Split('/')[^1].TrimEnd(']', '\'', ')');

    /// <summary>The resource type the assignment is scoped to, from its id (<c>{scope}/providers/Microsoft.Authorization/roleAssignments/{name}</c>).</summary>
    private static string ScopeTypeOf(JsonObject assignment)
    {
        var id = assignment["id"]!.GetValue<string>();
        var scope = id[..id.IndexOf("/providers/Microsoft.Authorization/", StringComparison.Ordinal)];
        var segments = scope.Split("/providers/")[^1].Split('/');
        // Namespace/type/name[/childType/childName...]: the types are the odd positions after the namespace.
        var types = new List<string> { segments[0] };
        for (var i = 1; i < segments.Length; i += 2)
        {
            types.Add(segments[i]);
        }

        return string.Join('/', types);
    }
}
