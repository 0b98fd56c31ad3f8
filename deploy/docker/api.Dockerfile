# The partner API image (an Orleans client behind Kestrel). Build context: the repository root (see docs/deploy.md):
#   docker build -f deploy/docker/api.Dockerfile -t osettle-api:1.0.0 .
#   az acr build -r REGISTRY -f deploy/docker/api.Dockerfile -t osettle-api:1.0.0 .
# Every setting comes from the environment the Container App sets (silo/Hosting/ConfigurationKeys.cs), including
# ASPNETCORE_URLS=http://+:8080: without it the API listens on 127.0.0.1 only, which suits a workstation, not a container.

# The SDK global.json pins (10.0.401, later feature bands roll forward).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled

FROM ${SDK_IMAGE} AS build
WORKDIR /src
ENV DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protocol/ protocol/
COPY keyvault/ keyvault/
COPY grains/Contracts/ grains/Contracts/
# The API compiles silo/Hosting/*.cs (shared settings code) into itself.
COPY silo/Hosting/ silo/Hosting/
COPY api/ api/
RUN dotnet restore api/OrleansSettlement.Api.csproj
RUN dotnet publish api/OrleansSettlement.Api.csproj -c Release --no-restore -o /app /p:UseAppHost=false

# Chiseled: no shell, no package manager, runs as the non-root user "app".
FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
# The image's default ASPNETCORE_HTTP_PORTS would only be overridden (with a warning) by ASPNETCORE_URLS.
ENV ASPNETCORE_HTTP_PORTS=
EXPOSE 8080
ENTRYPOINT ["dotnet", "OrleansSettlement.Api.dll"]
