<?php
$root = $_SERVER['DOCUMENT_ROOT']; $path = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if ($path !== '/' && file_exists($root . $path) && !(is_dir($root . $path) && !file_exists(rtrim($root . $path, '/') . '/index.php')))
    return false;
$_SERVER['SCRIPT_NAME'] = '/index.php'; $_SERVER['SCRIPT_FILENAME'] = $root . '/index.php'; chdir($root);
require $root . '/index.php';
