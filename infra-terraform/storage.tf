# S3 for task logs (remote logging) and standalone-task logs (Firehose); ECR for images.
resource "aws_s3_bucket" "airflow" {
  bucket_prefix = "${var.project_name}-airflow-"
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "airflow" {
  bucket                  = aws_s3_bucket.airflow.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "airflow" {
  bucket = aws_s3_bucket.airflow.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "airflow" {
  bucket = aws_s3_bucket.airflow.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "airflow" {
  bucket = aws_s3_bucket.airflow.id
  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {
      prefix = "logs/"
    }
    expiration {
      days = var.bucket_log_expiry_days
    }
  }
  rule {
    id     = "expire-standalone-logs"
    status = "Enabled"
    filter {
      prefix = "standalone/"
    }
    expiration {
      days = var.bucket_log_expiry_days
    }
  }
}

resource "aws_ecr_repository" "airflow" {
  name                 = "${var.project_name}-airflow"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_destroy
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "airflow" {
  repository = aws_ecr_repository.airflow.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the last ${var.ecr_keep_images} images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.ecr_keep_images }
      action       = { type = "expire" }
    }]
  })
}

# Standalone tasks: FireLens -> Firehose -> S3 (and CloudWatch, for `task --wait`).
resource "aws_kinesis_firehose_delivery_stream" "standalone" {
  name        = "${var.project_name}-standalone-logs"
  destination = "extended_s3"
  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose.arn
    bucket_arn          = aws_s3_bucket.airflow.arn
    prefix              = "standalone/"
    error_output_prefix = "standalone-errors/"
    buffering_interval  = 60
    compression_format  = "GZIP"
  }
}

resource "aws_iam_role" "firehose" {
  name_prefix = "${var.project_name}-firehose-"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "firehose.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "firehose" {
  name = "write-standalone-logs"
  role = aws_iam_role.firehose.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"]
      Resource = [aws_s3_bucket.airflow.arn, "${aws_s3_bucket.airflow.arn}/standalone*"]
    }]
  })
}
