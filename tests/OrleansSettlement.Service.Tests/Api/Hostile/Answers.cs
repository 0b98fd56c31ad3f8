using System.Net;
using System.Text.Json;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Service.Tests.Api.Hostile;

/// <summary>An answer read back: status, media type, body, and its problem code when it is a problem.</summary>
public sealed record Answer(HttpStatusCode Status, string? MediaType, string Body, string? Code)
{
    public int StatusCode => (int)Status;

    public bool IsRefusal => StatusCode is >= 400 and < 500;

    public override string ToString() => $"{StatusCode} {MediaType} {(Body.Length > 600 ? Body[..600] + "..." : Body)}";
}

/// <summary>Sends a request and judges its answer by the API's promises for refusals.</summary>
public static class AnswerChecks
{
    /// <summary>Texts that would show internals: exception names, stack frames, framework namespaces.</summary>
    private static readonly string[] Internals = ["Exception", "   at ", " at System.", " at Microsoft.", " at Orleans", ".cs:line", "System.", "Microsoft.AspNetCore"];

    private static readonly HashSet<string> KnownCodes = [.. Enum.GetValues<ProtocolErrorCode>().Select(ProtocolError.ToWireCode)];

    /// <summary>Sends <paramref name="request"/> (a stream is not read: its headers are the answer) within 30 s.</summary>
    public static async Task<Answer> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var body = mediaType == "text/event-stream" ? "" : await response.Content.ReadAsStringAsync(timeout.Token);
        string? code = null;
        if (mediaType == Problems.MediaType)
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                code = json.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            }
            catch (JsonException)
            {
                code = null;
            }
        }

        return new Answer(response.StatusCode, mediaType, body, code);
    }

    /// <summary>
    /// The failures of an answer to a hostile request, or none: never a 5xx; a refusal is an RFC 9457 problem with a code of
    /// the protocol that the route documents (or <c>not_found</c>), the status of that code, every member, and no internals
    /// or secrets; a POST is always refused.
    /// </summary>
    public static IReadOnlyList<string> Judge(Answer answer, ApiRoute route, bool mustRefuse, IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(route);
        var failures = new List<string>();
        if (answer.StatusCode >= 500)
        {
            failures.Add($"answered {answer.StatusCode}");
        }

        if (mustRefuse && !answer.IsRefusal)
        {
            failures.Add($"accepted a hostile request ({answer.StatusCode})");
        }

        foreach (var secret in secrets ?? [])
        {
            if (answer.Body.Contains(secret, StringComparison.Ordinal))
            {
                failures.Add("the answer holds a secret token");
            }
        }

        if (!answer.IsRefusal)
        {
            return failures;
        }

        if (answer.MediaType != Problems.MediaType)
        {
            failures.Add($"a refusal of media type {answer.MediaType ?? "(none)"}");
            return failures;
        }

        JsonElement problem;
        try
        {
            using var json = JsonDocument.Parse(answer.Body);
            problem = json.RootElement.Clone();
        }
        catch (JsonException)
        {
            failures.Add("a problem body that is not JSON");
            return failures;
        }

        var code = answer.Code;
        if (code is null || !KnownCodes.Contains(code))
        {
            failures.Add($"the problem code '{code}' is not a code of the protocol");
            return failures;
        }

        if (!route.Documents(code))
        {
            failures.Add($"the problem code '{code}' is not among the route's documented codes (RouteDoc / x-problem-codes)");
        }

        var expectedStatus = Problems.StatusOf(ProblemCode(code));
        var routingStatus = code == "not_found" && answer.StatusCode == 405;
        if (answer.StatusCode != expectedStatus && !routingStatus)
        {
            failures.Add($"status {answer.StatusCode} but {code} is answered {expectedStatus}");
        }

        foreach (var member in new[] { "type", "title", "detail", "traceId" })
        {
            if (!problem.TryGetProperty(member, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            {
                failures.Add($"the problem has no {member}");
            }
        }

        if (problem.TryGetProperty("type", out var type) && type.GetString() != Problems.TypeBase + code)
        {
            failures.Add("the problem type is not the code's");
        }

        if (!problem.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Number || status.GetInt32() != answer.StatusCode)
        {
            failures.Add("the problem's status is not the answer's");
        }

        var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
        foreach (var text in Internals)
        {
            if (detail.Contains(text, StringComparison.Ordinal) || (problem.TryGetProperty("title", out var t) && (t.GetString() ?? "").Contains(text, StringComparison.Ordinal)))
            {
                failures.Add($"the problem shows internals ('{text}')");
            }
        }

        if (problem.TryGetProperty("exception", out _) || problem.TryGetProperty("stackTrace", out _))
        {
            failures.Add("the problem carries an exception");
        }

        return failures;
    }

    private static ProtocolErrorCode ProblemCode(string wireCode) =>
        Enum.GetValues<ProtocolErrorCode>().First(code => ProtocolError.ToWireCode(code) == wireCode);
}
