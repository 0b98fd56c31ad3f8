using OrleansSettlement.Service.Tests.Api;

namespace OrleansSettlement.Browser.Tests;

/// <summary>The tests that share one running service (Azurite, a silo and the API on Kestrel, see <see cref="ApiFixture"/>).</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "Browser";
}
