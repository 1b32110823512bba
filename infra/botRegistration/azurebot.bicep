// The Azure Bot registration: the bot is the user-assigned managed identity (no app secret
// exists), reachable on the Teams channel only. Follows the Microsoft 365 Agents Toolkit's
// infra/botRegistration module, with the Teams channel's terms and diagnostics set here.

@maxLength(64)
@description('Name of the Azure Bot resource (unique within the resource group).')
param botServiceName string

@maxLength(42)
@description('The name people see in Teams for the bot.')
param botDisplayName string

@description('Client id of the managed identity: the bot\'s Microsoft app id.')
param identityClientId string

@description('Resource id of the managed identity.')
param identityResourceId string

@description('Tenant of the managed identity (the partnership\'s tenant).')
param identityTenantId string

@description('Host name of the app, e.g. reviewbot.azurewebsites.net: the messaging endpoint is https://HOST/api/messages.')
param botAppDomain string

@description('Log Analytics workspace for the bot\'s request logs.')
param logAnalyticsWorkspaceId string

@allowed([
  'global'
  'westeurope'
])
@description('global, or westeurope to keep the Bot Service\'s own processing in the EU.')
param location string = 'global'

@allowed([
  'F0'
  'S1'
])
@description('F0: the Teams channel is a standard channel, free on F0.')
param botServiceSku string = 'F0'

param tags object = {}

resource botService 'Microsoft.BotService/botServices@2022-09-15' = {
  name: botServiceName
  location: location
  kind: 'azurebot'
  sku: {
    name: botServiceSku
  }
  tags: tags
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${botAppDomain}/api/messages'
    msaAppId: identityClientId
    msaAppType: 'UserAssignedMSI'
    msaAppMSIResourceId: identityResourceId
    msaAppTenantId: identityTenantId
    // No Direct Line or Web Chat secret keys: Teams alone talks to this bot.
    disableLocalAuth: true
    isStreamingSupported: false
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: botService
  name: 'MsTeamsChannel'
  location: location
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
      acceptedTerms: true
      deploymentEnvironment: 'CommercialDeployment'
      enableCalling: false
    }
  }
}

resource botDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: botService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'BotRequest'
        enabled: true
      }
    ]
  }
}

output botServiceName string = botService.name
