<?php
/**
 * Uninstall: removes the outbox, the settings and the plugin's marks. The archive itself is untouched.
 *
 * @package Offentlig
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

global $wpdb;

// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.DirectDatabaseQuery.SchemaChange,WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- dropping our own table.
$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}offentlig_outbox" );

delete_option( 'offentlig_settings' );
delete_option( 'offentlig_outbox_db_version' );
delete_option( 'offentlig_last_delivery' );
delete_option( 'offentlig_waiting_for_service' );
delete_post_meta_by_key( '_offentlig_captured' );
delete_post_meta_by_key( '_offentlig_permalink' );
delete_post_meta_by_key( '_offentlig_fingerprint' );
// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching -- no API deletes comment meta by key.
$wpdb->delete( $wpdb->commentmeta, array( 'meta_key' => '_offentlig_captured' ) );
// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching -- transients named offentlig_*.
$wpdb->query( "DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_offentlig\\_%' OR option_name LIKE '\\_transient\\_timeout\\_offentlig\\_%'" );

wp_clear_scheduled_hook( 'offentlig_dispatch' );
wp_clear_scheduled_hook( 'offentlig_dispatch_now' );
