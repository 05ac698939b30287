# Metadata database: PostgreSQL in the private subnets, encrypted, never public.
resource "aws_db_subnet_group" "metadata" {
  name_prefix = "${var.project_name}-"
  subnet_ids  = aws_subnet.private[*].id
}

resource "aws_db_instance" "metadata" {
  identifier_prefix          = "${var.project_name}-"
  engine                     = "postgres"
  engine_version             = var.db_engine_version
  instance_class             = var.db_instance_class
  allocated_storage          = var.db_allocated_storage
  storage_type               = "gp3"
  storage_encrypted          = true
  db_name                    = "airflow"
  username                   = "airflow"
  password                   = local.db_password
  db_subnet_group_name       = aws_db_subnet_group.metadata.name
  vpc_security_group_ids     = [aws_security_group.db.id]
  publicly_accessible        = false
  multi_az                   = var.db_multi_az
  backup_retention_period    = var.db_backup_retention_days
  deletion_protection        = var.db_deletion_protection
  skip_final_snapshot        = var.db_skip_final_snapshot
  final_snapshot_identifier  = var.db_skip_final_snapshot ? null : coalesce(var.db_final_snapshot_identifier, "${var.project_name}-final")
  snapshot_identifier        = var.db_snapshot_identifier
  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  apply_immediately          = true

  # The snapshot only seeds a new database: forgetting it later must not replace the database.
  lifecycle {
    ignore_changes = [snapshot_identifier]
  }
}
