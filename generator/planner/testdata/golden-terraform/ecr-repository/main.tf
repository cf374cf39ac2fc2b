# ECR repository acme in us-east-1 with immutable tags, scan on push, KMS encryption, keeping 50 images.
# Written by aiden's built-in planner (ecr-repository blueprint).

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

locals {
  tags = merge(var.tags, {
    "managed-by"  = "terraform"
    "environment" = var.environment
  })
}

resource "aws_ecr_repository" "this" {
  name = var.repository_name
  # A tag, once pushed, always names the same image.
  image_tag_mutability = "IMMUTABLE"
  # A repository that still holds images is never deleted by terraform
  # destroy.
  force_delete = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

# Untagged images expire after two weeks; of the tagged ones, the newest
# keep_images stay.
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 14 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 14
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
