// The virtual network of the Container Apps environment: one subnet delegated to it (a workload-profiles
// environment needs at least a /27; a /23 leaves room for replicas). Silos reach each other and the API reaches the
// gateways on their replica addresses inside this subnet.

@description('Azure region.')
param location string

@description('Name of the virtual network.')
param name string

@description('Address space of the network.')
param addressPrefix string

@description('Address range of the Container Apps subnet (inside addressPrefix).')
param appsSubnetPrefix string

@description('Tags for every resource.')
param tags object

resource network 'Microsoft.Network/virtualNetworks@2024-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'apps'
        properties: {
          addressPrefix: appsSubnetPrefix
          delegations: [
            {
              name: 'containerapps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
    ]
  }
}

@description('Resource id of the Container Apps subnet.')
output appsSubnetId string = network.properties.subnets[0].id
