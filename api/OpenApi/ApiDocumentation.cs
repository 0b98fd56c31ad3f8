using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using OrleansSettlement.Api.Endpoints;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Protocol.Http;
using Scalar.AspNetCore;

namespace OrleansSettlement.Api.OpenApi;

/// <summary>
/// What the OpenAPI document (<c>/openapi/v1.json</c>) says beyond the schemas minimal APIs infer: each route's access
/// (security scheme, <c>x-access</c>), its headers (Idempotency-Key on every POST; Signature-Input, Signature and
/// Content-Digest on wallet routes; Idempotent-Replayed and Retry-After on answers), every problem code it can return
/// (<c>x-problem-codes</c>, the description, and an example problem per code), the catalog of every problem code
/// (<c>x-problem-catalog</c>, <c>components.examples</c>) and example bodies. In Development the API also serves an
/// interactive reference of the document (Scalar) at <see cref="ReferencePath"/>.
/// </summary>
internal static class ApiDocumentation
{
    public const string BearerScheme = "bearer";
    public const string WalletSignatureScheme = "walletSignature";

    private const string EmbeddedJson = "A JSON object: a signed message (docs/protocol.md, section 3) or a public JWK. Signed messages are taken as their exact text and verified in their RFC 8785 canonical form.";

    /// <summary>Where the interactive reference is served, in Development only.</summary>
    public const string ReferencePath = "/scalar";

    /// <summary>Serves the interactive reference (Scalar, its assets embedded: no CDN) in Development only: elsewhere the
    /// JSON document is the reference and no HTML page is served.</summary>
    public static void MapReference(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference(ReferencePath, options => options.WithTitle("OrleansSettlement API"));
        }
    }

    public static OpenApiOptions Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer(DescribeDocument);
        options.AddOperationTransformer(DescribeOperation);
        options.AddSchemaTransformer(DescribeEmbeddedJson);
        return options;
    }

    /// <summary>Members typed <see cref="JsonElement"/> carry a JSON object: a signed message or a JWK, kept as sent.</summary>
    private static Task DescribeEmbeddedJson(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type == typeof(JsonElement))
        {
            schema.Type = JsonSchemaType.Object;
            schema.Description = EmbeddedJson;
        }
        else if (context.JsonTypeInfo.ElementType == typeof(JsonElement) && schema.Items is null)
        {
            // A list of signed messages (notes): the generator leaves its items out; say they are objects.
            schema.Items = new OpenApiSchema { Type = JsonSchemaType.Object, Description = EmbeddedJson };
        }

        return Task.CompletedTask;
    }

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "OrleansSettlement API",
            Version = "v1",
            Description =
                "Group payments settled all or nothing across banks (see docs/protocol.md for the messages and docs/api.md for the rules). "
                + "Every refusal is an RFC 9457 problem (application/problem+json) with type, title, status, detail, a stable code and traceId. "
                + "Every POST needs an Idempotency-Key; a retry with the same key and body gets the first answer back byte for byte. "
                + "Wallet requests are signed with RFC 9421 HTTP Message Signatures (ecdsa-p256-sha256, keyid = wallet id). "
                + "Hostile input (malformed, oversized, deeply nested or wrong-typed JSON, bad path values, missing or forged credentials) is refused with a 4xx problem before anything is stored (docs/api.md).\n\n"
                + ProblemTable(),
        };
        document.Components ??= new OpenApiComponents();
        DescribeProblems(document);
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A bearer token chosen by its holder (32 random bytes, base64url). The service knows only its SHA-256: the admin's from Api:AdminTokenSha256, an operator's from its institution, a store's from the store.",
        };
        document.Components.SecuritySchemes[WalletSignatureScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = HttpSignatures.SignatureHeader,
            Description = "RFC 9421 HTTP Message Signature (Signature-Input and Signature), algorithm ecdsa-p256-sha256, keyid = the wallet id (RFC 7638 thumbprint of the wallet key), covering @method, @target-uri, content-digest (RFC 9530 sha-256) when there is a body, idempotency-key when present, with created and nonce parameters. A signature is accepted from 5 minutes before to 30 seconds after the server's time, and once only.",
        };

        foreach (var path in document.Paths.Values)
        {
            if (path.Operations is null)
            {
                continue;
            }

            foreach (var operation in path.Operations.Values)
            {
                if (operation.Extensions is null || !operation.Extensions.TryGetValue("x-access", out var extension)
                    || extension is not JsonNodeExtension { Node: JsonValue accessValue })
                {
                    continue;
                }

                var scheme = accessValue.GetValue<string>() switch
                {
                    nameof(Access.Admin) or nameof(Access.Operator) or nameof(Access.Store) => BearerScheme,
                    nameof(Access.Wallet) or nameof(Access.WalletSelf) or nameof(Access.NewWallet) => WalletSignatureScheme,
                    nameof(Access.StoreOrWallet) => "both",
                    _ => null,
                };
                if (scheme is null)
                {
                    continue;
                }

                operation.Security ??= [];
                if (scheme is BearerScheme or "both")
                {
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
                }

                if (scheme is WalletSignatureScheme or "both")
                {
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(WalletSignatureScheme, document)] = [] });
                }
            }
        }

        return Task.CompletedTask;
    }

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        AddExamples(operation, context);
        var doc = context.Description.ActionDescriptor.EndpointMetadata.OfType<RouteDoc>().FirstOrDefault();
        if (doc is null)
        {
            return Task.CompletedTask;
        }

        operation.Parameters ??= [];
        var wallet = doc.Access is Access.Wallet or Access.WalletSelf or Access.NewWallet;
        if (doc.IsPost)
        {
            operation.Parameters.Add(Header(HttpSignatures.IdempotencyKeyHeader, required: true, "1 to 255 visible ASCII characters chosen by the caller, scoped to the caller and the route. Send the same key again when you retry: the first answer comes back (header Idempotent-Replayed: true). The same key with another body is idempotency_key_reused (409)."));
        }

        if (wallet || doc.Access == Access.StoreOrWallet)
        {
            var required = wallet;
            operation.Parameters.Add(Header(HttpSignatures.SignatureInputHeader, required, "RFC 9421: sig1=(\"@method\" \"@target-uri\" [\"content-digest\"] [\"idempotency-key\"]);created=<unix seconds>;keyid=\"<wallet id>\";alg=\"ecdsa-p256-sha256\";nonce=\"<random>\""));
            operation.Parameters.Add(Header(HttpSignatures.SignatureHeader, required, "RFC 9421: sig1=:<base64 of the 64-byte r||s ES256 signature over the signature base>:"));
            if (doc.IsPost)
            {
                operation.Parameters.Add(Header(HttpSignatures.ContentDigestHeader, required: true, "RFC 9530: sha-256=:<base64 SHA-256 of the exact body bytes>: (digest_mismatch otherwise)."));
            }
        }

        var access = doc.Access switch
        {
            Access.Public => "Public: no credentials.",
            Access.Admin => "Admin: Authorization: Bearer <admin token> (its SHA-256 is Api:AdminTokenSha256).",
            Access.Operator => "An operator of the institution in the route: Authorization: Bearer <operator token>.",
            Access.Store => "The store in the route: Authorization: Bearer <store token>.",
            Access.StoreOrWallet => "The store's bearer token, or any registered wallet's request signature (the checkout id is the capability).",
            Access.Wallet => "Any registered wallet's request signature; the signing wallet (keyid) is the actor.",
            Access.WalletSelf => "The wallet in the route itself, by its request signature (keyid = that wallet id).",
            _ => "Signed by the key being registered (keyid = its RFC 7638 thumbprint).",
        };
        var codes = string.Join(", ", doc.ProblemCodes.Select(code => $"{code} ({Problems.StatusOf(Http.ProblemCodes.Parse(code))})"));
        operation.Description = string.Join("\n\n", new[] { operation.Description, "Access: " + access, "Problem codes: " + codes }.Where(s => !string.IsNullOrEmpty(s)));
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions["x-access"] = new JsonNodeExtension(JsonValue.Create(doc.Access.ToString()));
        operation.Extensions["x-problem-codes"] = new JsonNodeExtension(new JsonArray([.. doc.ProblemCodes.Select(code => (JsonNode)JsonValue.Create(code))]));
        AddAnswerHeaders(operation, doc);
        return Task.CompletedTask;
    }

    /// <summary>An example of the request body and of every answer with a JSON body (see <see cref="ApiExamples"/>).</summary>
    private static void AddExamples(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var requestType = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAcceptsMetadata>().FirstOrDefault()?.RequestType;
        if (requestType is not null && operation.RequestBody?.Content is { } requestContent)
        {
            foreach (var media in requestContent.Values)
            {
                media.Example ??= ApiExamples.For(requestType);
            }
        }

        foreach (var answer in context.Description.SupportedResponseTypes)
        {
            if (answer.Type is null || answer.Type == typeof(void) || answer.Type == typeof(ProblemBody)
                || operation.Responses?.GetValueOrDefault(answer.StatusCode.ToString(CultureInfo.InvariantCulture))?.Content is not { } content)
            {
                continue;
            }

            foreach (var (mediaType, media) in content)
            {
                if (!mediaType.Contains("problem", StringComparison.Ordinal))
                {
                    media.Example ??= ApiExamples.For(answer.Type);
                }
            }
        }
    }

    /// <summary>Idempotent-Replayed on a POST's answers; Retry-After on a 503.</summary>
    private static void AddAnswerHeaders(OpenApiOperation operation, RouteDoc doc)
    {
        if (operation.Responses is null)
        {
            return;
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (response is not OpenApiResponse answer)
            {
                continue;
            }

            // Only answers an idempotency record keeps (successes and the operation's own refusals) are ever replayed.
            if (doc.IsPost && status is "200" or "404" or "409" or "422")
            {
                answer.Headers ??= new Dictionary<string, IOpenApiHeader>();
                answer.Headers[ApiAnswer.ReplayedHeader] = new OpenApiHeader
                {
                    Description = "true when this answer is the stored answer to an earlier request with the same Idempotency-Key (a retry).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }

            if (status == "503")
            {
                answer.Headers ??= new Dictionary<string, IOpenApiHeader>();
                answer.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before retrying (with the same Idempotency-Key), when the cluster is recovering.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                };
            }
        }
    }

    /// <summary>
    /// The problem catalog: an example problem per code in <c>components.examples</c>, the list of every code with its status
    /// and meaning (<c>x-problem-catalog</c>), the problem body's <c>code</c> description, and on every problem
    /// answer of every operation an example per code it documents with that status.
    /// </summary>
    private static void DescribeProblems(OpenApiDocument document)
    {
        document.Components!.Examples ??= new Dictionary<string, IOpenApiExample>();
        var catalog = new JsonArray();
        foreach (var entry in ProblemCatalog.All)
        {
            document.Components.Examples[ProblemCatalog.ExampleName(entry.Code)] = new OpenApiExample
            {
                Summary = $"{entry.Code} ({entry.Status})",
                Description = entry.Meaning,
                Value = JsonSerializer.SerializeToNode(ProblemCatalog.Example(entry), ApiJson.Options),
            };
            catalog.Add(new JsonObject
            {
                ["code"] = entry.Code,
                ["status"] = entry.Status,
                ["title"] = entry.Title,
                ["meaning"] = entry.Meaning,
                ["type"] = Problems.TypeBase + entry.Code,
            });
        }

        document.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        document.Extensions["x-problem-catalog"] = new JsonNodeExtension(catalog);
        if (document.Components.Schemas is { } schemas && schemas.TryGetValue(nameof(ProblemBody), out var problemSchema)
            && problemSchema is OpenApiSchema { Properties: { } properties } && properties.TryGetValue("code", out var codeSchema)
            && codeSchema is OpenApiSchema code)
        {
            // Listed in the description, not as an enum: codes are added over time, and a client must take a code it does not know.
            code.Description = "The stable problem code (docs/protocol.md, section 4, and x-problem-catalog of this document); null only for 503 service_unavailable. New codes may be added: treat an unknown code by its status.";
        }

        foreach (var operation in document.Paths.Values.SelectMany(path => path.Operations?.Values.AsEnumerable() ?? []))
        {
            var codes = operation.Extensions is not null && operation.Extensions.TryGetValue("x-problem-codes", out var extension)
                && extension is JsonNodeExtension { Node: JsonArray listed }
                ? listed.Select(node => node!.GetValue<string>()).ToList()
                : [];
            codes.Add(ProblemCatalog.ServiceUnavailable);
            foreach (var (status, response) in operation.Responses ?? new OpenApiResponses())
            {
                if (response.Content is null || !response.Content.TryGetValue(Problems.MediaType, out var media))
                {
                    continue;
                }

                media.Examples ??= new Dictionary<string, IOpenApiExample>();
                foreach (var entry in ProblemCatalog.All.Where(e => codes.Contains(e.Code) && e.Status.ToString(CultureInfo.InvariantCulture) == status))
                {
                    media.Examples[entry.Code] = new OpenApiExampleReference(ProblemCatalog.ExampleName(entry.Code), document);
                }
            }
        }
    }

    /// <summary>The problem codes as a Markdown table, for readers of the interactive reference.</summary>
    private static string ProblemTable()
    {
        var table = new StringBuilder("## Problem codes\n\n| code | status | meaning |\n|---|---|---|\n");
        foreach (var entry in ProblemCatalog.All)
        {
            table.Append(CultureInfo.InvariantCulture, $"| `{entry.Code}` | {entry.Status} | {entry.Meaning} |\n");
        }

        return table.ToString();
    }

    private static OpenApiParameter Header(string name, bool required, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = required,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}
