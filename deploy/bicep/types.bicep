// Types shared by main.bicep and its modules.

@export()
@description('A bank whose e-money notes are signed with its own EC P-256 key in Key Vault.')
type bank = {
  @description('The institution name as the service knows it (1-64 of a-z, 0-9 and \'-\', not starting with \'-\').')
  @minLength(1)
  @maxLength(64)
  name: string
}

@export()
@description('Scale settings of one container app.')
type scaleSettings = {
  @description('Fewest replicas (the silo keeps at least 1: grains need a host; 2+ survive the loss of one).')
  @minValue(0)
  minReplicas: int

  @description('Most replicas.')
  @maxValue(100)
  maxReplicas: int

  @description('vCPU per replica, as text (\'0.5\', \'1.0\', \'2.0\').')
  cpu: string

  @description('Memory per replica (\'1Gi\', \'2Gi\', \'4Gi\'; Consumption allows 2 GiB per vCPU).')
  memory: string
}

@export()
@description('One environment variable of a container: a plain value or a reference to one of the app\'s secrets.')
type envVar = {
  @description('The variable name; configuration keys write \':\' as \'__\'.')
  name: string

  @description('The value (not for secrets).')
  value: string?

  @description('The name of the app secret holding the value.')
  secretRef: string?
}
