<?php
define( 'DB_NAME', 'wordpress' );
