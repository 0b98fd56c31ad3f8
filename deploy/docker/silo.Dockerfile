# The Orleans silo image. Build context: the repository root (see docs/deploy.md):
#   docker build -f deploy/docker/silo.Dockerfile -t osettle-silo:1.0.0 .
#   az acr build -r REGISTRY -f deploy/docker/silo.Dockerfile -t osettle-silo:1.0.0 .
# Every setting comes from the environment the Container App sets (silo/Hosting/ConfigurationKeys.cs).

# The SDK global.json pins (10.0.401, later feature bands roll forward).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime:10.0-noble-chiseled

FROM ${SDK_IMAGE} AS build
WORKDIR /src
ENV DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protocol/ protocol/
COPY keyvault/ keyvault/
COPY grains/ grains/
COPY silo/ silo/
RUN dotnet restore silo/OrleansSettlement.Silo.csproj
RUN dotnet publish silo/OrleansSettlement.Silo.csproj -c Release --no-restore -o /app /p:UseAppHost=false

# Chiseled: no shell, no package manager, runs as the non-root user "app".
FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
# Silo-to-silo and gateway ports (Orleans__SiloPort, Orleans__GatewayPort).
EXPOSE 11111 30000
ENTRYPOINT ["dotnet", "OrleansSettlement.Silo.dll"]
