// The apps pull their images from an existing Azure Container Registry (made before the images are built, see
// docs/deploy.md) with their managed identity: AcrPull on that registry, nothing more.

@description('Name of the existing registry (in this module\'s resource group).')
param name string

@description('Name of the apps\' managed identity.')
param identityName string

@description('Resource group of the identity (the deployment\'s).')
param identityResourceGroup string

var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
  scope: resourceGroup(identityResourceGroup)
}

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' existing = {
  name: name
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, acrPull)
  scope: registry
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}

@description('The registry\'s login server (NAME.azurecr.io).')
output loginServer string = registry.properties.loginServer
