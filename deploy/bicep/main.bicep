// OrleansSettlement on Azure: one resource group holding
//   Log Analytics + Application Insights, one user-assigned managed identity, a storage account (Orleans
//   membership, grain state, reminders; Entra ID only), Key Vault (RBAC, purge protection, one EC P-256 note key per
//   bank), a virtual network and a Container Apps environment running the silo (internal) and the API (external HTTPS).
// The environment variables set on each app are the configuration contract of silo/Hosting/ConfigurationKeys.cs
// (checked by tests/OrleansSettlement.Deploy.Tests). Step by step: docs/deploy.md.

targetScope = 'resourceGroup'

import { bank, scaleSettings } from 'types.bicep'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Short environment name, part of every resource name (dev, test, prod).')
@minLength(2)
@maxLength(8)
param environmentName string

@description('Prefix of every resource name.')
@minLength(2)
@maxLength(8)
param namePrefix string = 'osettle'

@description('The banks whose notes are signed in Key Vault: one key {bank}-notes each, and their signing settings on both apps.')
param banks bank[]

@description('Key Vault SKU: premium keeps the note keys in HSMs (EC-HSM), standard in software (EC).')
@allowed([
  'standard'
  'premium'
])
param keyVaultSku string = 'premium'

@description('Days a deleted vault or key stays recoverable.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteDays int = 90

@description('Storage replication.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Name of the existing Azure Container Registry holding the images (in registryResourceGroup).')
param registryName string

@description('Resource group of the registry.')
param registryResourceGroup string = resourceGroup().name

@description('Silo image: repository:tag in the registry.')
param siloImage string

@description('API image: repository:tag in the registry.')
param apiImage string

@description('Orleans cluster id: silos and the API of one deployment share it; a new one starts a fresh membership.')
param clusterId string = environmentName

@description('Orleans service id: grain state and reminders are keyed by it. Never change it once data exists.')
param serviceId string = 'orleans-settlement'

@description('The base64url SHA-256 (43 characters) of the admin bearer token (docs/deploy.md shows how to make one). Kept as an app secret.')
@secure()
@minLength(43)
@maxLength(43)
param adminTokenSha256 string

@description('An OTLP collector endpoint for traces, metrics and logs besides Application Insights; empty: none.')
param otlpEndpoint string = ''

@description('Silo replicas, CPU and memory.')
param siloScale scaleSettings = {
  minReplicas: 2
  maxReplicas: 10
  cpu: '1.0'
  memory: '2Gi'
}

@description('API replicas, CPU and memory.')
param apiScale scaleSettings = {
  minReplicas: 2
  maxReplicas: 10
  cpu: '0.5'
  memory: '1Gi'
}

@description('Average silo CPU utilization (%) above which a silo replica is added.')
param siloCpuUtilization int = 70

@description('Concurrent requests per API replica above which an API replica is added.')
param apiConcurrentRequests int = 50

@description('Spread the Container Apps replicas over availability zones.')
param zoneRedundant bool = true

@description('Address space of the virtual network.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Subnet of the Container Apps environment (at least /27).')
param appsSubnetPrefix string = '10.40.0.0/23'

@description('Days Log Analytics keeps data.')
param logRetentionDays int = 30

@description('Daily Log Analytics ingestion cap in GB (-1: none).')
param logDailyQuotaGb int = -1

@description('Tags for every resource.')
param tags object = {
  app: 'orleans-settlement'
  env: environmentName
}

// Orleans ports inside the containers and the API's HTTP port behind the ingress.
var siloPort = 11111
var gatewayPort = 30000
var apiPort = 8080

// The table names of grains/Contracts/StorageNames.cs (the deployment tests compare them).
var orleansTables = [
  'SettlementMembership'
  'SettlementGrainState'
  'SettlementReminders'
]

var suffix = uniqueString(resourceGroup().id, environmentName)
var names = {
  workspace: 'log-${namePrefix}-${environmentName}'
  appInsights: 'appi-${namePrefix}-${environmentName}'
  identity: 'id-${namePrefix}-${environmentName}'
  storage: take('st${namePrefix}${environmentName}${suffix}', 24)
  keyVault: take('kv-${namePrefix}-${suffix}', 24)
  network: 'vnet-${namePrefix}-${environmentName}'
  environment: 'cae-${namePrefix}-${environmentName}'
  silo: 'ca-${namePrefix}-silo-${environmentName}'
  api: 'ca-${namePrefix}-api-${environmentName}'
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
    dailyQuotaGb: logDailyQuotaGb
    tags: tags
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    name: names.identity
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  dependsOn: [
    identity
  ]
  params: {
    location: location
    name: names.storage
    skuName: storageSku
    tableNames: orleansTables
    identityName: names.identity
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  dependsOn: [
    identity
  ]
  params: {
    location: location
    name: names.keyVault
    skuName: keyVaultSku
    softDeleteRetentionInDays: keyVaultSoftDeleteDays
    banks: banks
    identityName: names.identity
    tags: tags
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  dependsOn: [
    identity
  ]
  scope: resourceGroup(registryResourceGroup)
  params: {
    name: registryName
    identityName: names.identity
    identityResourceGroup: resourceGroup().name
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    name: names.network
    addressPrefix: vnetAddressPrefix
    appsSubnetPrefix: appsSubnetPrefix
    tags: tags
  }
}

module environment 'modules/environment.bicep' = {
  name: 'environment'
  dependsOn: [
    monitoring
  ]
  params: {
    location: location
    name: names.environment
    workspaceName: names.workspace
    subnetId: network.outputs.appsSubnetId
    zoneRedundant: zoneRedundant
    tags: tags
  }
}

// Settings both apps read (ConfigurationKeys): storage by URI with the managed identity, the cluster, each bank's key.
var sharedEnv = [
  {
    name: 'AZURE_CLIENT_ID'
    value: identity.outputs.clientId
  }
  {
    name: 'Storage__TableEndpoint'
    value: storage.outputs.tableEndpoint
  }
  {
    name: 'Orleans__ClusterId'
    value: clusterId
  }
  {
    name: 'Orleans__ServiceId'
    value: serviceId
  }
]

var signingEnv = flatten(map(banks, b => [
  {
    name: 'Signing__Institutions__${b.name}__Kind'
    value: 'KeyVault'
  }
  {
    name: 'Signing__Institutions__${b.name}__VaultUri'
    value: keyVault.outputs.vaultUri
  }
  {
    name: 'Signing__Institutions__${b.name}__KeyName'
    value: '${b.name}-notes'
  }
]))

var otlpEnv = empty(otlpEndpoint)
  ? []
  : [
      {
        name: 'OTEL_EXPORTER_OTLP_ENDPOINT'
        value: otlpEndpoint
      }
    ]

var siloEnv = concat(
  sharedEnv,
  [
    {
      name: 'Storage__BlobEndpoint'
      value: storage.outputs.blobEndpoint
    }
    {
      name: 'Orleans__SiloPort'
      value: string(siloPort)
    }
    {
      name: 'Orleans__GatewayPort'
      value: string(gatewayPort)
    }
    {
      name: 'Orleans__AdvertisedIPAddress'
      value: 'auto'
    }
    {
      name: 'Orleans__ListenOnAnyHostAddress'
      value: 'true'
    }
  ],
  signingEnv,
  otlpEnv
)

var apiEnv = concat(
  sharedEnv,
  [
    {
      name: 'ASPNETCORE_URLS'
      value: 'http://+:${apiPort}'
    }
    {
      name: 'Api__ForwardedHeaders'
      value: 'true'
    }
    // The ingress proxies reach the app from inside the environment's subnet.
    {
      name: 'Api__KnownNetworks__0'
      value: appsSubnetPrefix
    }
  ],
  signingEnv,
  otlpEnv
)

// The apps depend on the storage, Key Vault and registry modules through their outputs, so the identity holds its
// roles before a replica starts (each module ends after its role assignments).
module silo 'modules/silo-app.bicep' = {
  name: 'silo'
  dependsOn: [
    monitoring
  ]
  params: {
    location: location
    name: names.silo
    environmentId: environment.outputs.id
    identityId: identity.outputs.id
    registryServer: registry.outputs.loginServer
    image: siloImage
    appInsightsName: names.appInsights
    env: siloEnv
    siloPort: siloPort
    gatewayPort: gatewayPort
    scale: siloScale
    cpuUtilization: siloCpuUtilization
    terminationGracePeriodSeconds: 60
    tags: tags
  }
}

module api 'modules/api-app.bicep' = {
  name: 'api'
  dependsOn: [
    monitoring
    // The API retries until a silo answers; starting it after the silo only spares it those retries.
    silo
  ]
  params: {
    location: location
    name: names.api
    environmentId: environment.outputs.id
    identityId: identity.outputs.id
    registryServer: registry.outputs.loginServer
    image: apiImage
    appInsightsName: names.appInsights
    adminTokenSha256: adminTokenSha256
    env: apiEnv
    port: apiPort
    scale: apiScale
    concurrentRequests: apiConcurrentRequests
    tags: tags
  }
}

@description('The API\'s public base URL.')
output apiUrl string = 'https://${api.outputs.fqdn}'

@description('The table service URI both apps read (Storage__TableEndpoint).')
output storageTableEndpoint string = storage.outputs.tableEndpoint

@description('The blob service URI the silo reads (Storage__BlobEndpoint).')
output storageBlobEndpoint string = storage.outputs.blobEndpoint

@description('The vault URI of every bank\'s key (Signing__Institutions__{bank}__VaultUri).')
output keyVaultUri string = keyVault.outputs.vaultUri

@description('Name of the vault (for `az keyvault key rotate`).')
output keyVaultName string = keyVault.outputs.name

@description('Each bank and its key name (Signing__Institutions__{bank}__KeyName).')
output bankKeys object[] = keyVault.outputs.bankKeys

@description('Client id of the managed identity (AZURE_CLIENT_ID).')
output managedIdentityClientId string = identity.outputs.clientId

@description('Orleans cluster id and service id (Orleans__ClusterId, Orleans__ServiceId).')
output orleans object = {
  clusterId: clusterId
  serviceId: serviceId
}

@description('Names of the container apps (for `az containerapp logs show` and scaling).')
output containerApps object = {
  silo: names.silo
  api: names.api
}
