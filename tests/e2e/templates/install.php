<?php
$doc = rtrim($argv[1], '/'); define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = $argv[2]; $_SERVER['REQUEST_URI'] = '/'; $_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
require $doc . '/wp-load.php';
function wp_new_blog_notification(...$a) {}
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if (is_blog_installed()) exit(0);
$r = wp_install('Test Blog', '@ADMIN_USER@', '@ADMIN_EMAIL@', true, '', '@ADMIN_PASSWORD@');
if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message() . "\n"); exit(1); }
update_option('permalink_structure', '/%year%/%monthnum%/%postname%/');
update_option('timezone_string', 'Europe/Stockholm');
// Debian's wordpress ships no theme; wordpress-theme-twentytwentythree brings the default one.
$theme = wp_get_theme('twentytwentythree');
if (!$theme->exists()) { fwrite(STDERR, "theme twentytwentythree missing (apt package wordpress-theme-twentytwentythree)\n"); exit(1); }
switch_theme('twentytwentythree');
