variable "location" {
  type    = string
  default = "EU" # hand: multi-region
}
