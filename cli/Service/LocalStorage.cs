using System.Globalization;

namespace OrleansSettlement.Cli.Service;

/// <summary>Azurite's well-known development account (public and documented by Microsoft, not a secret).</summary>
internal static class LocalStorage
{
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static string Endpoint(int port) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/{AccountName}");

    public static string ConnectionString(UpSettings settings) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
        + $"BlobEndpoint={Endpoint(settings.BlobPort)};QueueEndpoint={Endpoint(settings.QueuePort)};TableEndpoint={Endpoint(settings.TablePort)};";
}
