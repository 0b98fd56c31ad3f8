// Development: one silo and one API replica (scale to zero is off: grains need a host), software keys (Standard
// vault), locally redundant storage, no zone redundancy. Deploy: docs/deploy.md.
using '../main.bicep'

param environmentName = 'dev'

param banks = [
  { name: 'bank-a' }
  { name: 'bank-b' }
  { name: 'bank-store' }
]

param keyVaultSku = 'standard'
param keyVaultSoftDeleteDays = 7
param storageSku = 'Standard_LRS'
param zoneRedundant = false

param registryName = readEnvironmentVariable('OSETTLE_REGISTRY', 'osettledevacr')
param siloImage = 'osettle-silo:${readEnvironmentVariable('OSETTLE_IMAGE_TAG', 'dev')}'
param apiImage = 'osettle-api:${readEnvironmentVariable('OSETTLE_IMAGE_TAG', 'dev')}'

// Never in this file: read from the deploying shell (docs/deploy.md, "Admin token").
param adminTokenSha256 = readEnvironmentVariable('OSETTLE_ADMIN_TOKEN_SHA256')

param siloScale = {
  minReplicas: 1
  maxReplicas: 3
  cpu: '0.5'
  memory: '1Gi'
}

param apiScale = {
  minReplicas: 1
  maxReplicas: 3
  cpu: '0.25'
  memory: '0.5Gi'
}

param logRetentionDays = 30
param logDailyQuotaGb = 1
