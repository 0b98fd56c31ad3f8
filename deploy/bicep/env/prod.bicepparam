// Production: at least two silos and two API replicas spread over availability zones, HSM-protected note keys
// (Premium vault), zone-redundant storage, 90 days of recovery for deleted keys. Deploy: docs/deploy.md.
using '../main.bicep'

param environmentName = 'prod'

// One key per bank that signs notes in this deployment; a bank added later is added here and redeployed
// (the key is created, the apps get its settings), then created through the API.
param banks = [
  { name: 'bank-a' }
  { name: 'bank-b' }
  { name: 'bank-store' }
]

param keyVaultSku = 'premium'
param keyVaultSoftDeleteDays = 90
param storageSku = 'Standard_ZRS'
param zoneRedundant = true

param registryName = readEnvironmentVariable('OSETTLE_REGISTRY', 'osettleprodacr')
param siloImage = 'osettle-silo:${readEnvironmentVariable('OSETTLE_IMAGE_TAG', '1.0.0')}'
param apiImage = 'osettle-api:${readEnvironmentVariable('OSETTLE_IMAGE_TAG', '1.0.0')}'

// Never in this file: read from the deploying shell (docs/deploy.md, "Admin token").
param adminTokenSha256 = readEnvironmentVariable('OSETTLE_ADMIN_TOKEN_SHA256')

param siloScale = {
  minReplicas: 2
  maxReplicas: 10
  cpu: '1.0'
  memory: '2Gi'
}

param apiScale = {
  minReplicas: 2
  maxReplicas: 10
  cpu: '0.5'
  memory: '1Gi'
}

param siloCpuUtilization = 70
param apiConcurrentRequests = 50
param logRetentionDays = 30
