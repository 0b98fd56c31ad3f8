// Key Vault with RBAC authorization, soft delete and purge protection, and one EC P-256 note-signing key per bank
// (EC-HSM on the Premium SKU, software EC on Standard). The apps' identity gets Key Vault Crypto User on each key
// (get the public key, sign): not on the vault, not on secrets. A bank created later at run time names an existing
// key in configuration (Signing__Institutions__{bank}__*); its key is created by adding the bank to `banks`.

import { bank } from '../types.bicep'

@description('Azure region.')
param location string

@description('Name of the vault (3-24 letters, digits and \'-\', globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('premium: HSM-protected keys (EC-HSM); standard: software keys (EC).')
@allowed([
  'standard'
  'premium'
])
param skuName string

@description('Days a deleted vault or key stays recoverable (7-90). Purge protection keeps it for this long whatever anyone does.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('The banks; each gets a key named {bank}-notes.')
param banks bank[]

@description('Name of the apps\' managed identity (in this resource group).')
param identityName string

@description('Tags for every resource.')
param tags object

var cryptoUser = '12338af0-0e69-4776-bea7-57ae8d297424'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: skuName
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// ARM creates a key only when it does not exist (it never adds a version on redeploy): rotation is an operator step.
resource keys 'Microsoft.KeyVault/vaults/keys@2024-11-01' = [
  for b in banks: {
    parent: vault
    name: '${b.name}-notes'
    tags: tags
    properties: {
      kty: skuName == 'premium' ? 'EC-HSM' : 'EC'
      curveName: 'P-256'
      keyOps: [
        'sign'
        'verify'
      ]
      attributes: {
        enabled: true
        exportable: false
      }
    }
  }
]

resource signers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (b, i) in banks: {
    name: guid(keys[i].id, identity.id, cryptoUser)
    scope: keys[i]
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cryptoUser)
    }
  }
]

@description('The vault URI: Signing__Institutions__{bank}__VaultUri.')
output vaultUri string = vault.properties.vaultUri

@description('Name of the vault.')
output name string = vault.name

@description('Each bank and its key name: Signing__Institutions__{bank}__KeyName.')
output bankKeys object[] = [
  for (b, i) in banks: {
    bank: b.name
    keyName: keys[i].name
  }
]
