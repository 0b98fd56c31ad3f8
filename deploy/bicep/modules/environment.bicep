// The Container Apps environment (workload profiles, Consumption) in its own subnet, sending container logs to
// Log Analytics. Zone redundancy spreads replicas over availability zones (production).

@description('Azure region.')
param location string

@description('Name of the environment.')
param name string

@description('Name of the Log Analytics workspace that receives container logs.')
param workspaceName string

@description('Resource id of the subnet delegated to Microsoft.App/environments.')
param subnetId string

@description('Spread replicas over availability zones (needs a region with zones).')
param zoneRedundant bool

@description('Tags for every resource.')
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    vnetConfiguration: {
      infrastructureSubnetId: subnetId
      internal: false
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    zoneRedundant: zoneRedundant
  }
}

@description('Resource id of the environment.')
output id string = environment.id

@description('The environment\'s default domain (apps are APP.DOMAIN).')
output defaultDomain string = environment.properties.defaultDomain
