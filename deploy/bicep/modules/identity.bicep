// The one user-assigned managed identity both apps run as. Its role assignments are made next to the resources
// they grant (storage.bicep, keyvault.bicep, registry.bicep), each at the narrowest scope.

@description('Azure region.')
param location string

@description('Name of the identity.')
param name string

@description('Tags for every resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id (for the apps\' identity blocks).')
output id string = identity.id

@description('Client id: the apps\' AZURE_CLIENT_ID.')
output clientId string = identity.properties.clientId

@description('Principal (object) id: the subject of the role assignments.')
output principalId string = identity.properties.principalId
