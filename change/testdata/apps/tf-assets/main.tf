# Static assets bucket, written by hand in 2023.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1" # hand: data residency (DPA-2)
}

resource "aws_s3_bucket" "assets" {
  bucket = "acme-static-assets"

  tags = {
    Name  = "acme-static-assets"
    Owner = "web"   # hand: web team pays for it
  }
}
