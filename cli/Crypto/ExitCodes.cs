namespace OrleansSettlement.Cli.Crypto;

/// <summary>The exit codes of canonicalize, keygen, sign and verify.</summary>
internal static class ExitCodes
{
    /// <summary>Done; for verify: the signature is valid for that key and purpose.</summary>
    public const int Ok = 0;

    /// <summary>verify only: the check ran and the signature is not valid for that key and purpose.</summary>
    public const int NotValid = 1;

    /// <summary>The input could not be used: unreadable file, malformed JSON or key, and so on.</summary>
    public const int Unusable = 2;

    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Cancelled = 130;
}
