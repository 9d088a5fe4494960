<?php
/*
Plugin Name: Akismet Anti-spam: Spam Protection
Plugin URI: https://akismet.com/
Version: 5.3.1
Requires at least: 5.8
*/
