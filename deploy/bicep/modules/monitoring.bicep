// Log Analytics (container logs of the Container Apps environment) and a workspace-based Application Insights
// (the apps' OpenTelemetry traces, metrics and logs through APPLICATIONINSIGHTS_CONNECTION_STRING).

@description('Azure region.')
param location string

@description('Name of the Log Analytics workspace.')
param workspaceName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Days Log Analytics keeps data (30 is included in the price; more is billed per GB-month).')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('Daily ingestion cap in GB (-1: none). A cap stops ingestion for the rest of the day once reached.')
param dailyQuotaGb int

@description('Tags for every resource.')
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  kind: 'web'
  tags: tags
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // Telemetry goes in with the connection string; local (instrumentation-key only) auth stays possible for the exporter.
    IngestionMode: 'LogAnalytics'
  }
}

@description('Name of the workspace (the Container Apps environment reads its keys).')
output workspaceName string = workspace.name

@description('Resource id of the workspace.')
output workspaceId string = workspace.id

@description('Name of the Application Insights component (its connection string is read where it is used).')
output appInsightsName string = appInsights.name
