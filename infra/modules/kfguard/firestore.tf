resource "google_firestore_database" "default" {
  count                   = var.create_firestore_database ? 1 : 0
  project                 = var.project_id
  name                    = "(default)"
  location_id             = var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"
  depends_on              = [google_project_service.apis]
}

locals {
  # The same file Firebase deploys and the local emulator enforces: declared once.
  firestore_indexes = jsondecode(file(local.indexes_file))
}

resource "google_firestore_index" "composite" {
  for_each    = { for index in local.firestore_indexes.indexes : "${index.collectionGroup}:${join(",", [for field in index.fields : "${field.fieldPath}:${try(field.order, field.arrayConfig)}"])}" => index }
  project     = var.project_id
  database    = "(default)"
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")
  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
  depends_on = [google_firestore_database.default]
}

# TTL policies (events.expireAt, rejected.expireAt) and fields kept out of single-field indexes.
resource "google_firestore_field" "overrides" {
  for_each   = { for override in local.firestore_indexes.fieldOverrides : "${override.collectionGroup}.${override.fieldPath}" => override }
  project    = var.project_id
  database   = "(default)"
  collection = each.value.collectionGroup
  field      = each.value.fieldPath
  dynamic "ttl_config" {
    for_each = try(each.value.ttl, false) ? [true] : []
    content {}
  }
  index_config {
    dynamic "indexes" {
      for_each = each.value.indexes
      content {
        order        = try(indexes.value.order, null)
        array_config = try(indexes.value.arrayConfig, null)
        query_scope  = try(indexes.value.queryScope, "COLLECTION")
      }
    }
  }
  depends_on = [google_firestore_database.default]
}

# No browser or mobile client may touch the database; the functions use server SDKs, which these
# rules do not apply to.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id
  source {
    files {
      name    = "firestore.rules"
      content = file(local.rules_file)
    }
  }
  depends_on = [google_firestore_database.default]
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project_id
  name         = "cloud.firestore"
  ruleset_name = google_firebaserules_ruleset.firestore.name
}
