using OrleansSettlement.Sdk;

namespace OrleansSettlement.Cli.Service;

/// <summary>
/// The local service's admin token (the admin creates institutions): 32 random bytes, base64url, made on the first
/// <c>settle up</c> and kept in <c>.settle/admin.token</c> (mode 0600) for later starts. The API is only given its
/// SHA-256 (<c>Api__AdminTokenSha256</c>), as in production.
/// </summary>
internal static class AdminToken
{
    /// <summary>The token kept in <paramref name="path"/>, or a new one written there; <paramref name="created"/> says which.</summary>
    public static BearerToken LoadOrCreate(string path, out bool created)
    {
        var kept = SecretFile.Read(path)?.Trim();
        if (!string.IsNullOrEmpty(kept))
        {
            created = false;
            return BearerToken.From(kept);
        }

        var token = BearerToken.Create();
        SecretFile.Write(path, token.Token + "\n");
        created = true;
        return token;
    }

    /// <summary>The token kept in <paramref name="path"/>, or null.</summary>
    public static string? Read(string path)
    {
        var kept = SecretFile.Read(path)?.Trim();
        return string.IsNullOrEmpty(kept) ? null : kept;
    }
}
