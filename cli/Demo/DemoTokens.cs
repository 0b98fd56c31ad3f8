using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansSettlement.Cli.Service;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Cli.Demo;

/// <summary>An institution of the demo and its operator's token.</summary>
internal sealed record DemoInstitutionEntry(string DisplayName, string OperatorToken);

/// <summary>A store of the demo: its bank, its settlement account there and its token.</summary>
internal sealed record DemoStoreEntry(string Store, string DisplayName, string Institution, string Account, string Token);

/// <summary>
/// The demo's credentials, kept in <c>.settle/demo.json</c> (mode 0600): each demo institution's operator token and each
/// demo store's token. Tokens are made here (32 random bytes, <see cref="BearerToken"/>) and written to the file before
/// the service is given their SHA-256, so the service never holds a credential the file has lost.
/// </summary>
internal sealed class DemoTokens
{
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private DemoTokens(FileModel model) => Model = model;

    public IReadOnlyDictionary<string, DemoInstitutionEntry> Institutions => Model.Institutions;

    public IReadOnlyDictionary<string, DemoStoreEntry> Stores => Model.Stores;

    private FileModel Model { get; }

    public static DemoTokens Empty() => new(new FileModel());

    /// <summary>The tokens in <paramref name="path"/>, or null when the file does not exist.</summary>
    public static DemoTokens? Load(string path)
    {
        var text = SecretFile.Read(path);
        if (text is null)
        {
            return null;
        }

        FileModel? model;
        try
        {
            model = JsonSerializer.Deserialize<FileModel>(text, Json);
        }
        catch (JsonException exception)
        {
            throw new DemoSetupException($"{path} is not a demo tokens file ({exception.Message}). Delete it and run `./settle up --reset`, or pass --admin-token to seed again.");
        }

        if (model is null || model.Version != CurrentVersion)
        {
            throw new DemoSetupException($"{path} is not a demo tokens file of version {CurrentVersion}. Delete it and run `./settle up --reset`.");
        }

        return new DemoTokens(model);
    }

    public void Save(string path) => SecretFile.Write(path, JsonSerializer.Serialize(Model, Json) + "\n");

    /// <summary>The operator token of <paramref name="institution"/>, made when the file has none.</summary>
    public DemoInstitutionEntry EnsureInstitution(string institution)
    {
        if (!Model.Institutions.TryGetValue(institution, out var entry))
        {
            entry = new DemoInstitutionEntry(DemoCatalog.DisplayName(institution), BearerToken.Create().Token);
            Model.Institutions[institution] = entry;
        }

        return entry;
    }

    /// <summary>The demo store of <paramref name="institution"/>, with a token made when the file has none.</summary>
    public DemoStoreEntry EnsureStore(string institution)
    {
        var store = DemoCatalog.StoreAt(institution);
        if (!Model.Stores.TryGetValue(store, out var entry))
        {
            entry = new DemoStoreEntry(store, DemoCatalog.StoreDisplayNameAt(institution), institution, DemoCatalog.AccountOf(store), BearerToken.Create().Token);
            Model.Stores[store] = entry;
        }

        return entry;
    }

    /// <summary>The file's shape.</summary>
    private sealed class FileModel
    {
        public int Version { get; set; } = CurrentVersion;

        [JsonPropertyOrder(1)]
        public string About { get; set; } =
            "Bearer tokens of the demo's bank operators and stores, made by `./settle up` (or `./settle demo --admin-token`). Secret: keep this file 0600.";

        [JsonPropertyOrder(2)]
        public Dictionary<string, DemoInstitutionEntry> Institutions { get; set; } = new(StringComparer.Ordinal);

        [JsonPropertyOrder(3)]
        public Dictionary<string, DemoStoreEntry> Stores { get; set; } = new(StringComparer.Ordinal);
    }
}
