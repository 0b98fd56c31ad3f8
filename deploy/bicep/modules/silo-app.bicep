// The Orleans silo as a container app: internal TCP ingress on the silo-to-silo port with the gateway port as an
// additional mapping (reachable only inside the environment), CPU-based scaling, TCP probes (a silo has no HTTP
// endpoint: the silo port answers once the process listens, the gateway port once the silo has joined the cluster),
// and a grace period long enough for a stopping silo to leave the cluster and hand its grains over.

import { envVar, scaleSettings } from '../types.bicep'

@description('Azure region.')
param location string

@description('Name of the container app.')
param name string

@description('Resource id of the Container Apps environment.')
param environmentId string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Registry login server (NAME.azurecr.io).')
param registryServer string

@description('Image repository and tag in that registry (osettle-silo:1.0.0).')
param image string

@description('Name of the Application Insights component whose connection string the app gets (as a secret).')
param appInsightsName string

@description('Environment variables (besides APPLICATIONINSIGHTS_CONNECTION_STRING, added here from a secret).')
param env envVar[]

@description('Silo-to-silo port (Orleans__SiloPort).')
param siloPort int

@description('Gateway port the API connects to (Orleans__GatewayPort).')
param gatewayPort int

@description('Replicas, CPU and memory.')
param scale scaleSettings

@description('Average CPU utilization (%) above which a replica is added.')
@minValue(10)
@maxValue(95)
param cpuUtilization int

@description('Seconds a stopping replica gets between SIGTERM and SIGKILL (Orleans leaves the cluster gracefully).')
param terminationGracePeriodSeconds int

@description('Tags for every resource.')
param tags object

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource silo 'Microsoft.App/containerApps@2025-01-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: false
        transport: 'tcp'
        targetPort: siloPort
        exposedPort: siloPort
        additionalPortMappings: [
          {
            external: false
            targetPort: gatewayPort
            exposedPort: gatewayPort
          }
        ]
      }
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
      secrets: [
        {
          name: 'appinsights-connection-string'
          value: appInsights.properties.ConnectionString
        }
      ]
    }
    template: {
      terminationGracePeriodSeconds: terminationGracePeriodSeconds
      containers: [
        {
          name: 'silo'
          image: '${registryServer}/${image}'
          resources: {
            cpu: json(scale.cpu)
            memory: scale.memory
          }
          env: concat(env, [
            {
              name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
              secretRef: 'appinsights-connection-string'
            }
          ])
          probes: [
            {
              type: 'Startup'
              tcpSocket: {
                port: siloPort
              }
              periodSeconds: 5
              failureThreshold: 24
            }
            {
              type: 'Liveness'
              tcpSocket: {
                port: siloPort
              }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              tcpSocket: {
                port: gatewayPort
              }
              periodSeconds: 10
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: scale.minReplicas
        maxReplicas: scale.maxReplicas
        rules: [
          {
            name: 'cpu'
            custom: {
              type: 'cpu'
              metadata: {
                type: 'Utilization'
                value: string(cpuUtilization)
              }
            }
          }
        ]
      }
    }
  }
}

@description('Name of the silo app.')
output name string = silo.name
