// Everything the review bot runs on, in one resource group (UK South by default):
//
//   managed identity ── is the bot (Azure Bot, UserAssignedMSI, Teams channel only), pulls the
//   │                   image, reads the data keys, signs in to PostgreSQL and to Graph, and
//   │                   sends telemetry: no client secret or database password exists anywhere
//   App Service (Linux container, alwaysOn, health check /readyz) ── inbound: the Bot Service
//   │   only, HTTPS and TLS 1.2+; outbound: through the virtual network and a NAT gateway
//   ├── PostgreSQL flexible server (private subnet, no public access, Entra auth only)
//   ├── Key Vault (private endpoint, no public access): REVIEW_BOT_DATA_KEYS
//   └── Application Insights + Log Analytics (telemetry and every resource's logs)
//
// Why App Service and not Container Apps: the Toolkit's templates and `deploy` steps target it;
// `alwaysOn` keeps the one process that ticks reminders running; its health check takes an
// instance that is not ready (/readyz: store closed, partnerships not loaded) out of the load
// balancer; Key Vault references in app settings are resolved by the platform with the
// identity; and it scales to two or more instances over one PostgreSQL (README "Running more
// than one replica") with no ingress, revision or environment to manage.
//
// Read by the Microsoft 365 Agents Toolkit (m365agents.yml `arm/deploy`, with
// azure.parameters.json) or deployed by `az deployment group create` (deploy/README.md).
//
// checkov (tests/test_infra.py, at most three failed checks) fails two, each explained on
// the web app below: CKV_AZURE_17 (client certificates) and CKV_AZURE_222 (public network
// access). Why App Service Authentication is off is explained there too.

@minLength(4)
@maxLength(20)
@description('Lower-case letters, digits and hyphens; names every resource. The web app\'s name, so unique in Azure.')
param resourceBaseName string

@description('Where everything but the bot registration lives.')
param location string = 'uksouth'

@maxLength(42)
@description('The bot\'s name in Teams.')
param botDisplayName string = 'Case Review Referrals'

@description('The image to run: REGISTRY.azurecr.io/review-bot-config:TAG (the bot with the partnership\'s /config).')
param containerImage string

@description('Name of the Azure Container Registry (in this resource group) that holds the image.')
param containerRegistryName string

@allowed([
  'P0v3'
  'P1v3'
  'P2v3'
])
@description('App Service plan size: Premium v3 (VNet integration, zone redundancy from two instances).')
param appServicePlanSku string = 'P0v3'

@minValue(1)
@maxValue(10)
@description('How many instances (replicas) run the bot; they share the one PostgreSQL. Two by default: a platform restart of one never refuses a turn or holds the clock.')
param instanceCount int = 2

@description('Spread the instances over availability zones (needs instanceCount >= 2; UK South has zones).')
param zoneRedundant bool = true

@description('PostgreSQL compute, e.g. Standard_B1ms (Burstable) or Standard_D2ds_v5 (GeneralPurpose).')
param postgresSkuName string = 'Standard_B1ms'

@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresTier string = 'Burstable'

@minValue(32)
param postgresStorageSizeGB int = 32

@description('Same-zone or zone-redundant standby (not available on Burstable).')
@allowed([
  'Disabled'
  'SameZone'
  'ZoneRedundant'
])
param postgresHighAvailability string = 'Disabled'

@secure()
@description('REVIEW_BOT_DATA_KEYS: comma-separated id:key data-encryption keys. Stored in Key Vault only.')
param dataKeys string

@minValue(1)
@maxValue(5)
@description('Years until the data-keys secret expires; every deployment moves it on. Key Vault refuses an expired secret.')
param dataKeysLifetimeYears int = 2

// What a partnership chooses here. App Service access restrictions apply to the whole site, not
// per path, and Teams clients (not the Bot Service) fetch the monthly card's chart from
// https://<app>/reports/charts/...: they are not in the AzureBotService tag.
// - true (the default): only the Bot Service reaches the app. The monthly card still gives the
//   month's figures in text, but its chart image cannot load in Teams.
// - false: anyone may reach the app. /api/messages still refuses every request without a valid
//   Bot Framework token (the bot checks it), and each chart URL carries an unguessable token;
//   the chart then shows. deploy/README.md says the same.
@description('Accept requests from the Azure Bot Service only (service tag AzureBotService). If true, the chart image on the monthly card cannot load in Teams: clients fetch it, not the Bot Service.')
param restrictInboundToBotService bool = true

@allowed([
  'global'
  'westeurope'
])
param botServiceLocation string = 'global'

@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

@description('The address space of the bot\'s virtual network, and its four /24 subnets in it.')
param vnetAddressPrefix string = '10.40.0.0/16'
param appSubnetPrefix string = '10.40.1.0/24'
param databaseSubnetPrefix string = '10.40.2.0/24'
param endpointSubnetPrefix string = '10.40.3.0/24'
@description('Where a one-off `review-bot` command runs (Azure Container Instances): rotate-key, check-store.')
param toolsSubnetPrefix string = '10.40.4.0/24'

@description('When this deployment runs: sets the data-keys secret\'s expiry. Leave the default.')
param deployedAt string = utcNow()

param tags object = {
  application: 'review-bot'
}

var suffix = uniqueString(resourceGroup().id, resourceBaseName)
var webAppName = resourceBaseName
var publicHost = '${webAppName}.azurewebsites.net'
var postgresName = '${resourceBaseName}-pg-${suffix}'
var databaseName = 'reviewbot'
var keyVaultName = 'kv-${suffix}'
var dataKeysSecretName = 'review-bot-data-keys'
// Built-in role definition ids.
var acrPullRole = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var keyVaultSecretsUserRole = '4633458b-17de-408a-b874-0445c86b69e6'
var monitoringMetricsPublisherRole = '3913510d-42f4-4e42-8a64-420c390055eb'

// --- the identity ---------------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${resourceBaseName}-id'
  location: location
  tags: tags
}

// --- logs and telemetry ---------------------------------------------------------------------

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${resourceBaseName}-logs'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
    features: {
      // Read by role (Log Analytics Reader on the workspace or a resource), never by key.
      enableLogAccessUsingOnlyResourcePermissions: true
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${resourceBaseName}-ai'
  location: location
  kind: 'web'
  tags: tags
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    IngestionMode: 'LogAnalytics'
    // Telemetry is accepted only with an Entra token (the identity's), not the key alone.
    DisableLocalAuth: true
    DisableIpMasking: false
    RetentionInDays: logRetentionDays
  }
}

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, monitoringMetricsPublisherRole)
  scope: appInsights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRole)
  }
}

// --- the network: the app's outbound subnet, the database's, the Key Vault endpoint's ------

resource outboundIp 'Microsoft.Network/publicIPAddresses@2023-11-01' = {
  name: '${resourceBaseName}-nat-ip'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

// Subnets here have no default outbound access: the app reaches Teams, Entra and Graph
// through this gateway, from one fixed address other organisations can allow if they must.
resource natGateway 'Microsoft.Network/natGateways@2023-11-01' = {
  name: '${resourceBaseName}-nat'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIpAddresses: [
      {
        id: outboundIp.id
      }
    ]
    idleTimeoutInMinutes: 4
  }
}

resource appNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {
  name: '${resourceBaseName}-app-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource databaseNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {
  name: '${resourceBaseName}-db-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'postgres-from-app-and-tools'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefixes: [
            appSubnetPrefix
            toolsSubnetPrefix
          ]
          sourcePortRange: '*'
          destinationAddressPrefix: databaseSubnetPrefix
          destinationPortRange: '5432'
        }
      }
      {
        // The server and its standby (high availability) talk to each other in this subnet.
        name: 'within-the-database-subnet'
        properties: {
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: '*'
          sourceAddressPrefix: databaseSubnetPrefix
          sourcePortRange: '*'
          destinationAddressPrefix: databaseSubnetPrefix
          destinationPortRange: '*'
        }
      }
      {
        name: 'nothing-else-from-the-network'
        properties: {
          priority: 4000
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: 'VirtualNetwork'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

resource endpointNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {
  name: '${resourceBaseName}-pe-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'vault-from-app-and-tools'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefixes: [
            appSubnetPrefix
            toolsSubnetPrefix
          ]
          sourcePortRange: '*'
          destinationAddressPrefix: endpointSubnetPrefix
          destinationPortRange: '443'
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: '${resourceBaseName}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        vnetAddressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          defaultOutboundAccess: false
          natGateway: {
            id: natGateway.id
          }
          networkSecurityGroup: {
            id: appNsg.id
          }
          delegations: [
            {
              name: 'app-service'
              properties: {
                serviceName: 'Microsoft.Web/serverFarms'
              }
            }
          ]
        }
      }
      {
        name: 'database'
        properties: {
          addressPrefix: databaseSubnetPrefix
          defaultOutboundAccess: false
          networkSecurityGroup: {
            id: databaseNsg.id
          }
          delegations: [
            {
              name: 'postgres'
              properties: {
                serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers'
              }
            }
          ]
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          defaultOutboundAccess: false
          networkSecurityGroup: {
            id: endpointNsg.id
          }
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
      {
        // Empty until an operator runs a one-off command (deploy/README.md); then one container.
        name: 'tools'
        properties: {
          addressPrefix: toolsSubnetPrefix
          defaultOutboundAccess: false
          natGateway: {
            id: natGateway.id
          }
          networkSecurityGroup: {
            id: appNsg.id
          }
          delegations: [
            {
              name: 'container-instances'
              properties: {
                serviceName: 'Microsoft.ContainerInstance/containerGroups'
              }
            }
          ]
        }
      }
    ]
  }
}

resource appSubnet 'Microsoft.Network/virtualNetworks/subnets@2023-11-01' existing = {
  parent: vnet
  name: 'app'
}

resource databaseSubnet 'Microsoft.Network/virtualNetworks/subnets@2023-11-01' existing = {
  parent: vnet
  name: 'database'
}

resource endpointSubnet 'Microsoft.Network/virtualNetworks/subnets@2023-11-01' existing = {
  parent: vnet
  name: 'endpoints'
}

// --- PostgreSQL: private, Entra sign-in only, the identity its administrator ---------------

resource postgresDns 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: '${postgresName}.private.postgres.database.azure.com'
  location: 'global'
  tags: tags
}

resource postgresDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: postgresDns
  name: 'to-${vnet.name}'
  location: 'global'
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: postgresName
  location: location
  tags: tags
  sku: {
    name: postgresSkuName
    tier: postgresTier
  }
  properties: {
    version: '16'
    storage: {
      storageSizeGB: postgresStorageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 35
      // UK South's pair is UK West: a regional outage does not lose the cases.
      geoRedundantBackup: 'Enabled'
    }
    highAvailability: {
      mode: postgresHighAvailability
    }
    network: {
      delegatedSubnetResourceId: databaseSubnet.id
      privateDnsZoneArmResourceId: postgresDns.id
      publicNetworkAccess: 'Disabled'
    }
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      // No password sign-in at all: only Entra tokens (the bot's identity, named admins).
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
  }
  dependsOn: [
    postgresDnsLink
  ]
}

resource postgresTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: postgres
  name: 'ssl_min_protocol_version'
  properties: {
    value: 'TLSv1.2'
    source: 'user-override'
  }
}

// The bot's identity owns its database: it applies the schema's migrations at start-up.
resource postgresAdmin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: postgres
  name: identity.properties.principalId
  properties: {
    principalType: 'ServicePrincipal'
    principalName: identity.name
    tenantId: tenant().tenantId
  }
  dependsOn: [
    postgresTls
  ]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    postgresAdmin
  ]
}

// --- Key Vault: the data-encryption keys, reachable only inside the network ----------------

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'None'
      ipRules: []
      virtualNetworkRules: []
    }
  }
}

// Written through Azure Resource Manager (the control plane), so no one needs network access
// to the vault to set it: redeploy with a new dataKeys to rotate (deploy/README.md).
resource dataKeysSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: dataKeysSecretName
  properties: {
    value: dataKeys
    contentType: 'text/plain; REVIEW_BOT_DATA_KEYS (comma-separated id:key)'
    attributes: {
      enabled: true
      exp: dateTimeToEpoch(dateTimeAdd(deployedAt, 'P${dataKeysLifetimeYears}Y'))
    }
  }
}

resource secretsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, keyVaultSecretsUserRole)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRole)
  }
}

resource vaultDns 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: 'privatelink.vaultcore.azure.net'
  location: 'global'
  tags: tags
}

resource vaultDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: vaultDns
  name: 'to-${vnet.name}'
  location: 'global'
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}

resource vaultEndpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = {
  name: '${resourceBaseName}-kv-pe'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: endpointSubnet.id
    }
    privateLinkServiceConnections: [
      {
        name: 'vault'
        properties: {
          privateLinkServiceId: vault.id
          groupIds: [
            'vault'
          ]
        }
      }
    ]
  }
}

resource vaultEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = {
  parent: vaultEndpoint
  name: 'vault'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'vault'
        properties: {
          privateDnsZoneId: vaultDns.id
        }
      }
    ]
  }
}

// --- the image registry (created beforehand, deploy/README.md): the identity pulls --------

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: containerRegistryName
}

resource imagePuller 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, acrPullRole)
  scope: registry
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRole)
  }
}

// --- the app --------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${resourceBaseName}-plan'
  location: location
  kind: 'linux'
  tags: tags
  sku: {
    name: appServicePlanSku
    capacity: instanceCount
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

var botServiceOnly = [
  {
    name: 'azure-bot-service'
    description: 'Teams reaches the bot through the Azure Bot Service only'
    action: 'Allow'
    priority: 100
    tag: 'ServiceTag'
    ipAddress: 'AzureBotService'
  }
]

// App Service Authentication stays off (checkov's CKV_AZURE_13 looks for it in a config
// resource this file does not declare): App Service's sign-in would demand an Entra token, but the Bot Service calls /api/messages with a
// Bot Framework token, which the bot itself checks (issuer, audience = its identity, keys)
// on every request and refuses with 401 otherwise (tests/test_auth.py).
// checkov CKV_AZURE_17 (incoming client certificates) fails here, on purpose: the Bot Service
// presents no client certificate, so requiring one would refuse every Teams message.
// checkov CKV_AZURE_222 (public network access disabled) fails here, on purpose: the Bot
// Service reaches the messaging endpoint over the internet (it cannot use a private endpoint
// for the Teams channel), so inbound is narrowed instead to the AzureBotService service tag,
// HTTPS only and TLS 1.2+, and the deployment site (SCM) accepts nothing.
resource webApp 'Microsoft.Web/sites@2023-12-01' = {
  name: webAppName
  location: location
  kind: 'app,linux,container'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    virtualNetworkSubnetId: appSubnet.id
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerImage}'
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: identity.properties.clientId
      alwaysOn: true
      healthCheckPath: '/readyz'
      http20Enabled: true
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      remoteDebuggingEnabled: false
      detailedErrorLoggingEnabled: false
      vnetRouteAllEnabled: true
      numberOfWorkers: instanceCount
      ipSecurityRestrictionsDefaultAction: restrictInboundToBotService ? 'Deny' : 'Allow'
      ipSecurityRestrictions: restrictInboundToBotService ? botServiceOnly : []
      scmIpSecurityRestrictionsUseMain: false
      scmIpSecurityRestrictionsDefaultAction: 'Deny'
      appSettings: [
        {
          name: 'WEBSITES_PORT'
          value: '3978'
        }
        {
          name: 'WEBSITES_ENABLE_APP_SERVICE_STORAGE'
          value: 'false'
        }
        {
          name: 'MicrosoftAppId'
          value: identity.properties.clientId
        }
        {
          // The Toolkit's spelling; the bot reads the app type in any case.
          name: 'MicrosoftAppType'
          value: 'UserAssignedMsi'
        }
        {
          name: 'MicrosoftAppTenantId'
          value: identity.properties.tenantId
        }
        {
          name: 'REVIEW_BOT_PUBLIC_HOST'
          value: publicHost
        }
        {
          name: 'REVIEW_BOT_DATABASE_URL'
          value: 'postgresql://${identity.name}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=require'
        }
        {
          name: 'REVIEW_BOT_DATABASE_AUTH'
          value: 'entra'
        }
        {
          name: 'REVIEW_BOT_DATA_KEYS'
          value: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${dataKeysSecret.name})'
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          // The exporter signs in with the identity (local auth is off on the component).
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD;ClientId=${identity.properties.clientId}'
        }
        {
          name: 'REVIEW_BOT_LOG_LEVEL'
          value: 'INFO'
        }
      ]
    }
  }
  dependsOn: [
    imagePuller
    secretsReader
    telemetryPublisher
    database
    vaultEndpointDns
    vaultDnsLink
  ]
}

// No FTP or SCM basic-auth publishing: images come from the registry, pulled by the identity.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: webApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: webApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// --- every resource's own logs into the workspace -------------------------------------------

resource appDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: webApp
  properties: {
    workspaceId: logs.id
    logs: [
      {
        category: 'AppServiceConsoleLogs'
        enabled: true
      }
      {
        category: 'AppServiceHTTPLogs'
        enabled: true
      }
      {
        category: 'AppServicePlatformLogs'
        enabled: true
      }
      {
        category: 'AppServiceIPSecAuditLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logs.id
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

resource postgresDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: postgres
  properties: {
    workspaceId: logs.id
    logs: [
      {
        category: 'PostgreSQLLogs'
        enabled: true
      }
    ]
  }
}

// --- the bot registration -------------------------------------------------------------------

module azureBotRegistration './botRegistration/azurebot.bicep' = {
  name: 'Azure-Bot-registration'
  params: {
    botServiceName: '${resourceBaseName}-bot'
    botDisplayName: botDisplayName
    identityClientId: identity.properties.clientId
    identityResourceId: identity.id
    identityTenantId: identity.properties.tenantId
    botAppDomain: publicHost
    logAnalyticsWorkspaceId: logs.id
    location: botServiceLocation
    tags: tags
  }
}

// Persisted by the Toolkit into env/.env.{env} (https://aka.ms/teamsfx-actions/arm-deploy).
output BOT_AZURE_APP_SERVICE_RESOURCE_ID string = webApp.id
output BOT_DOMAIN string = publicHost
output BOT_ID string = identity.properties.clientId
output BOT_TENANT_ID string = identity.properties.tenantId
output BOT_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
output BOT_IDENTITY_NAME string = identity.name
output AZURE_WEB_APP_NAME string = webApp.name
output AZURE_KEY_VAULT_NAME string = vault.name
output AZURE_POSTGRES_SERVER string = postgres.name
output AZURE_POSTGRES_HOST string = postgres.properties.fullyQualifiedDomainName
output AZURE_OUTBOUND_IP string = outboundIp.properties.ipAddress
