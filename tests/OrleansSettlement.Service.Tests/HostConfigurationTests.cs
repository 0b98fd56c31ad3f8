using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OrleansSettlement.Api;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests;

/// <summary>How the silo and the API read their storage and cluster settings, and how they refuse wrong ones.</summary>
public sealed class HostConfigurationTests
{
    private const string SecretKey = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=";

    [Fact]
    public void SiloConfigure_NoStorage_FailsNamingTheSettingToSet()
    {
        var exception = Assert.ThrowsAny<Exception>(() => BuildSilo([]));

        Assert.Contains("ConnectionStrings:Storage", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:TableEndpoint", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SiloConfigure_ConnectionStringAndEndpoint_FailsAsConfiguredTwice()
    {
        var exception = Assert.ThrowsAny<Exception>(() => BuildSilo(new()
        {
            ["ConnectionStrings:Storage"] = AzuriteProcess.ConnectionStringFor(1, 2, 3),
            ["Storage:TableEndpoint"] = "https://account.table.core.windows.net/",
        }));

        Assert.Contains("configured twice", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SiloConfigure_MalformedConnectionString_FailsWithoutRepeatingIt()
    {
        var exception = Assert.ThrowsAny<Exception>(() => BuildSilo(new()
        {
            ["ConnectionStrings:Storage"] = $"AccountKey={SecretKey};nonsense",
        }));

        Assert.Contains("not a valid Azure Storage connection string", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretKey, exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void SiloConfigure_TableEndpointWithManagedIdentity_Builds()
    {
        using var host = BuildSilo(new()
        {
            ["Storage:TableEndpoint"] = "https://account.table.core.windows.net/",
            ["Storage:ManagedIdentityClientId"] = "00000000-0000-0000-0000-000000000001",
        });

        Assert.NotNull(host.Services.GetService(typeof(Orleans.Runtime.ILocalSiloDetails)));
    }

    [Theory]
    [InlineData("Orleans:SiloPort", "70000")]
    [InlineData("Orleans:GatewayPort", "port")]
    [InlineData("Orleans:AdvertisedIPAddress", "localhost-ish")]
    [InlineData("Orleans:ClusterId", "no spaces allowed")]
    public void SiloConfigure_InvalidSetting_FailsNamingIt(string key, string value)
    {
        var exception = Assert.ThrowsAny<Exception>(() => BuildSilo(new()
        {
            ["ConnectionStrings:Storage"] = AzuriteProcess.ConnectionStringFor(1, 2, 3),
            [key] = value,
        }));

        Assert.Contains(key, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiBuild_NoStorage_FailsNamingTheSettingToSet()
    {
        var exception = Assert.ThrowsAny<Exception>(() => ApiHost.Build([], builder => builder.WebHost.UseUrls("http://127.0.0.1:0")));

        Assert.Contains("ConnectionStrings:Storage", exception.Message, StringComparison.Ordinal);
    }

    private static IHost BuildSilo(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => SiloConfiguration.Configure(silo, builder.Configuration));
        return builder.Build();
    }
}
