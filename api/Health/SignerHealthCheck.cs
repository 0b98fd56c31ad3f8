using System.Collections.Concurrent;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansSettlement.Hosting;
using OrleansSettlement.KeyVault;

namespace OrleansSettlement.Api.Health;

/// <summary>
/// The note signers answer: for each bank configured to sign in Azure Key Vault
/// (<c>Signing:Institutions:{bank}:Kind=KeyVault</c>, the settings the silo's note key source reads), a get-key of its key
/// (the fixed <c>KeyVersion</c>, else the current one) within <see cref="KeyTimeout"/>; banks with the development signer
/// are trivially fine. A key that answered is not asked again for <see cref="SuccessLifetime"/>, so probes every few
/// seconds on every replica cost a vault a handful of reads an hour, far from its throttling limits; a failure is not
/// cached, so recovery shows at the next probe.
/// </summary>
/// <remarks>
/// A vault that does not answer makes the check <see cref="HealthStatus.Degraded"/>, not Unhealthy: Key Vault signs only
/// change and withdrawn notes, after a settlement's decision (docs/adr/0006-key-vault-operations.md), so taking every API
/// replica out of the load balancer for it would stop checkouts that need no vault at all. <c>/health/ready</c> answers
/// 200 for Degraded and names the banks whose key did not answer. A missing or wrong setting is Unhealthy: that bank
/// cannot mint at all until the configuration is fixed.
/// </remarks>
internal sealed partial class SignerHealthCheck : IHealthCheck
{
    public const string Name = "signer";

    /// <summary>The check's data entry with the number of Key Vault keys configured.</summary>
    public const string KeyVaultKeysKey = "keyVaultKeys";

    /// <summary>How long one get-key may take.</summary>
    public static readonly TimeSpan KeyTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long a key that answered is taken as reachable without asking again.</summary>
    public static readonly TimeSpan SuccessLifetime = TimeSpan.FromMinutes(5);

    private readonly IReadOnlyList<ConfiguredKey> _keys;
    private readonly IReadOnlyList<string> _problems;
    private readonly ConcurrentDictionary<string, KeyVaultKeysClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<ConfiguredKey, DateTimeOffset> _answeredUntil = new();
    private readonly Lazy<TokenCredential> _credential;
    private readonly KeyVaultClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SignerHealthCheck> _logger;

    public SignerHealthCheck(IConfiguration configuration, IServiceProvider services, TimeProvider time, ILogger<SignerHealthCheck> logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(services);
        (_keys, _problems) = Read(configuration);
        _time = time;
        _logger = logger;
        // The same credential and client options the silo's note key source uses when they are registered (tests register
        // a fake vault's); otherwise DefaultAzureCredential with the deployment's managed identity (AZURE_CLIENT_ID).
        _credential = new Lazy<TokenCredential>(() => services.GetService<TokenCredential>() ?? new DefaultAzureCredential());
        _options = services.GetService<KeyVaultClientOptions>() ?? HealthClientOptions();
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { [KeyVaultKeysKey] = _keys.Count };
        if (_problems.Count > 0)
        {
            return HealthCheckResult.Unhealthy("Signing settings are wrong: " + string.Join(" ", _problems), data: data);
        }

        if (_keys.Count == 0)
        {
            return HealthCheckResult.Healthy("No bank signs in Key Vault: development signers only.", data);
        }

        var failures = await Task.WhenAll(_keys.Select(key => ProbeAsync(key, cancellationToken))).ConfigureAwait(false);
        var failed = failures.Where(failure => failure is not null).ToList();
        return failed.Count == 0
            ? HealthCheckResult.Healthy($"{_keys.Count} Key Vault key(s) answered.", data)
            : HealthCheckResult.Degraded($"Key Vault did not answer for: {string.Join(", ", failed)}.", data: data);
    }

    /// <summary>Null when the key answered (now or within <see cref="SuccessLifetime"/>), else "bank (reason)".</summary>
    private async Task<string?> ProbeAsync(ConfiguredKey key, CancellationToken cancellationToken)
    {
        if (_answeredUntil.TryGetValue(key, out var until) && _time.GetUtcNow() < until)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(KeyTimeout);
        try
        {
            var client = _clients.GetOrAdd(key.Vault.GetLeftPart(UriPartial.Authority), _ => new KeyVaultKeysClient(key.Vault, _credential.Value, _options));
            await client.GetKeyAsync(key.KeyName, key.KeyVersion, timeout.Token).ConfigureAwait(false);
            _answeredUntil[key] = _time.GetUtcNow() + SuccessLifetime;
            return null;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            _answeredUntil.TryRemove(key, out _);
            // Fixed words only: the type and Key Vault's status. Messages can quote endpoints; tokens never leave the pipeline.
            var reason = exception switch
            {
                KeyVaultException { Status: > 0 } vault => $"HTTP {vault.Status}" + (vault.ErrorCode is null ? "" : " " + vault.ErrorCode),
                OperationCanceledException => $"no answer within {KeyTimeout.TotalSeconds:0} s",
                _ => exception.GetType().Name,
            };
            LogUnreachable(_logger, key.Bank, key.KeyName, reason);
            return $"{key.Bank} ({reason})";
        }
    }

    private static KeyVaultClientOptions HealthClientOptions()
    {
        // One retry at most: the probe asks again within seconds anyway.
        var options = new KeyVaultClientOptions();
        options.Retry.MaxRetries = 1;
        options.Retry.NetworkTimeout = KeyTimeout;
        return options;
    }

    private static (IReadOnlyList<ConfiguredKey> Keys, IReadOnlyList<string> Problems) Read(IConfiguration configuration)
    {
        var keys = new List<ConfiguredKey>();
        var problems = new List<string>();
        foreach (var bank in configuration.GetSection(ConfigurationKeys.SigningInstitutions).GetChildren())
        {
            if (!string.Equals(bank[ConfigurationKeys.SigningKind], ConfigurationKeys.SigningKindKeyVault, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var prefix = $"{ConfigurationKeys.SigningInstitutions}:{bank.Key}:";
            var vaultText = bank[ConfigurationKeys.SigningVaultUri];
            var keyName = bank[ConfigurationKeys.SigningKeyName];
            if (!Uri.TryCreate(vaultText, UriKind.Absolute, out var vault) || vault.Scheme != Uri.UriSchemeHttps)
            {
                problems.Add($"{prefix}{ConfigurationKeys.SigningVaultUri} must be the vault's https URI.");
            }
            else if (string.IsNullOrWhiteSpace(keyName))
            {
                problems.Add($"{prefix}{ConfigurationKeys.SigningKeyName} is missing.");
            }
            else
            {
                var version = bank[ConfigurationKeys.SigningKeyVersion];
                keys.Add(new ConfiguredKey(bank.Key, vault, keyName.Trim(), string.IsNullOrWhiteSpace(version) ? null : version.Trim()));
            }
        }

        return (keys, problems);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signer health check: the Key Vault key {KeyName} of bank {Bank} did not answer ({Reason})")]
    private static partial void LogUnreachable(ILogger logger, string bank, string keyName, string reason);

    private sealed record ConfiguredKey(string Bank, Uri Vault, string KeyName, string? KeyVersion);
}
