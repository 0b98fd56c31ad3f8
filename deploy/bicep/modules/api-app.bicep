// The partner HTTP API as a container app: external HTTPS ingress (Container Apps terminates TLS and forwards
// HTTP to port 8080; the API honours X-Forwarded-* so wallet request signatures see the URI the wallet used),
// HTTP scaling on concurrent requests, and probes on /health/live and /health/ready.

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

@description('Image repository and tag in that registry (osettle-api:1.0.0).')
param image string

@description('Name of the Application Insights component whose connection string the app gets (as a secret).')
param appInsightsName string

@description('The base64url SHA-256 of the admin bearer token (Api__AdminTokenSha256, kept as an app secret).')
@secure()
param adminTokenSha256 string

@description('Environment variables (besides the two added here from secrets).')
param env envVar[]

@description('The port the API listens on inside the container (ASPNETCORE_URLS).')
param port int

@description('Replicas, CPU and memory.')
param scale scaleSettings

@description('Concurrent HTTP requests per replica above which a replica is added.')
@minValue(1)
param concurrentRequests int

@description('Tags for every resource.')
param tags object

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource api 'Microsoft.App/containerApps@2025-01-01' = {
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
        external: true
        transport: 'http'
        targetPort: port
        allowInsecure: false
        traffic: [
          {
            latestRevision: true
            weight: 100
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
        {
          name: 'admin-token-sha256'
          value: adminTokenSha256
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'api'
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
            {
              name: 'Api__AdminTokenSha256'
              secretRef: 'admin-token-sha256'
            }
          ])
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/health/live'
                port: port
              }
              periodSeconds: 3
              failureThreshold: 20
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/health/live'
                port: port
              }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/health/ready'
                port: port
              }
              periodSeconds: 10
              timeoutSeconds: 5
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
            name: 'http'
            http: {
              metadata: {
                concurrentRequests: string(concurrentRequests)
              }
            }
          }
        ]
      }
    }
  }
}

@description('The API\'s public host name.')
output fqdn string = api.properties.configuration.ingress.fqdn
