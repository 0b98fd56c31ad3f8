namespace OrleansSettlement.Api;

/// <summary>
/// The API's own settings (configuration section <c>Api</c>; environment variables <c>Api__AdminTokenSha256</c> and so on).
/// </summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>
    /// The base64url (no padding) SHA-256 of the admin's bearer token. Only the admin creates institutions. When it is not
    /// set, no request is the admin's. The token itself is never configured, stored or logged.
    /// </summary>
    public string? AdminTokenSha256 { get; set; }

    /// <summary>The largest request body accepted, in bytes (default 256 KiB); larger is <c>payload_too_large</c> (413).</summary>
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>The largest bundle (S2) body accepted, in bytes (default 1 MiB): a bundle carries every payer's agreement info.</summary>
    public int MaxBundleBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How many (keyid, nonce) pairs of wallet request signatures are remembered to refuse replays (default 100 000).</summary>
    public int ReplayCacheEntries { get; set; } = 100_000;

    /// <summary>
    /// Honour <c>X-Forwarded-Proto</c>, <c>X-Forwarded-Host</c>, <c>X-Forwarded-For</c> and <c>X-Forwarded-Prefix</c> from the
    /// proxies in <see cref="KnownProxies"/> and <see cref="KnownNetworks"/> (loopback when both are empty). Wallet signatures
    /// cover the target URI as the wallet sent it, so behind a proxy that changes scheme, host or path this must be on.
    /// </summary>
    public bool ForwardedHeaders { get; set; }

    /// <summary>IP addresses of trusted proxies, for <see cref="ForwardedHeaders"/>.</summary>
    public IList<string> KnownProxies { get; } = [];

    /// <summary>Trusted proxy networks in CIDR notation (<c>10.0.0.0/8</c>), for <see cref="ForwardedHeaders"/>.</summary>
    public IList<string> KnownNetworks { get; } = [];
}
